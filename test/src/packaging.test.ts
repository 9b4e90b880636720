/**
 * The proof that the packages can be published as they are: `npm pack` each one, install the
 * tarballs into fresh projects (core alone; core + tensorboard + mlflow + wandb; and with
 * @ranklog/figures; core + tensorboard + mlflow + tfjs; core + view), type-check a strict NodeNext project in ESM and in CommonJS against what
 * was installed, run each README's minimal example and a CommonJS program, and weigh
 * node_modules. Installing uses npm's cache alone (--offline: no network in tests); see
 * scripts/warm-npm-cache.sh. Slow (minutes): it installs and compiles for real.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WORKSPACE } from './support/package-copies.js';
import { installedSize } from './support/installed-size.js';
import { childEnv } from './support/child-process.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const PACKAGES = ['core', 'figures', 'tensorboard', 'mlflow', 'wandb', 'tfjs', 'view'] as const;
type Pkg = (typeof PACKAGES)[number];
/** The published promise for core alone (issue 13). */
const CORE_MAX_BYTES = 8 * 1024 * 1024;
const CORE_MAX_PACKAGES = 15;

const TSC = path.join(WORKSPACE, 'node_modules/typescript/bin/tsc');
/** @types/node of the workspace, so the consumer's node_modules holds only what ranklog brings. */
const TYPE_ROOTS = path.join(WORKSPACE, 'node_modules/@types');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: childEnv({ npm_config_update_notifier: 'false' }), maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function mustRun(t: ExecutionContext, cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) t.fail(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```ts block under "## Minimal example" of a package's README. */
function readmeExample(pkg: Pkg): string {
  const readme = fs.readFileSync(path.join(WORKSPACE, 'packages', pkg, 'README.md'), 'utf8');
  const m = /^## Minimal example\n[\s\S]*?```ts\n([\s\S]*?)```/m.exec(readme);
  if (!m) throw new Error(`packages/${pkg}/README.md has no \`\`\`ts block under "## Minimal example"`);
  return m[1]!;
}

const STRICT = {
  target: 'ES2022',
  lib: ['ES2024'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  skipLibCheck: false,
  types: ['node'],
  typeRoots: [TYPE_ROOTS],
  outDir: 'dist',
  rootDir: 'src',
};

function writeProject(dir: string, type: 'module' | 'commonjs', files: Record<string, string>, tfjs = false): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${type}`, private: true, type }));
  // tfjs's own declarations do not type-check under strict (packages/tfjs/README.md): its users skip the library check.
  const skipLibCheck = tfjs || STRICT.skipLibCheck;
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { ...STRICT, skipLibCheck, module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] }),
  );
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'src', name), text);
}

/** A CommonJS program (no top-level await) through every installed backend. */
function cjsProgram(backends: Pkg[]): string {
  const make: Partial<Record<Pkg, [string, string]>> = {
    tensorboard: ["import { TensorBoardLogger } from '@ranklog/tensorboard';", "new TensorBoardLogger({ savedir: 'mllogs', logFreq: 'batch' })"],
    mlflow: ["import { MLFlowLogger } from '@ranklog/mlflow';", "new MLFlowLogger({ savedir: 'mllogs', logFreq: 'batch' })"],
    wandb: ["import { WandBLogger } from '@ranklog/wandb';", "new WandBLogger({ savedir: 'mllogs', offlineMode: true, logFreq: 'batch' })"],
  };
  const used = backends.flatMap((b) => (make[b] ? [make[b]] : []));
  // The tfjs adapter is no backend: the program makes its callback (loaded through require(), type-checked).
  const tfjs = backends.includes('tfjs');
  return `import { LocalFileLogger, LoggersCollection, type LogStats } from '@ranklog/core';
${used.map(([imp]) => imp).join('\n')}
${tfjs ? "import { ranklogCallback } from '@ranklog/tfjs';" : ''}

async function main(): Promise<LogStats> {
  const logger = new LoggersCollection([new LocalFileLogger({ savedir: 'logs', logFreq: 'batch' }), ${used.map(([, ctor]) => ctor).join(', ')}]);
  await logger.createLoggerContext({ runName: 'cjs' });
  ${tfjs ? "if (typeof ranklogCallback(logger, { saveModel: false }).onBatchEnd !== 'function') throw new Error('no tfjs callback');" : ''}
  for (let step = 0; step < 5; step++) logger.log(step / 10, 'loss', { step, batchIdx: step });
  return logger.destroyLoggerContext();
}
main().then(
  (stats) => console.log(JSON.stringify(stats.backends.map((b) => [b.name, b.written, b.failed]))),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
`;
}

interface Scenario {
  name: string;
  packages: Pkg[];
  /** Registry packages installed beside the tarballs, as the packages' READMEs say. */
  extra?: string[];
}

const SCENARIOS: Scenario[] = [
  { name: 'core', packages: ['core'] },
  { name: 'core+tensorboard+mlflow+wandb', packages: ['core', 'tensorboard', 'mlflow', 'wandb'] },
  { name: 'all+figures', packages: ['core', 'tensorboard', 'mlflow', 'wandb', 'figures'] },
  // As packages/tfjs/README.md installs it: with @tensorflow/tfjs, which brings the adapter's peers (tfjs-core, tfjs-layers).
  { name: 'core+tensorboard+mlflow+tfjs', packages: ['core', 'tensorboard', 'mlflow', 'tfjs'], extra: ['@tensorflow/tfjs@^4.22.0'] },
  // The dashboard with the logger that writes what it shows.
  { name: 'core+view', packages: ['core', 'view'] },
];

const MB = (b: number) => (b / 1024 / 1024).toFixed(1);

test('packed tarballs install into fresh projects, type-check strict NodeNext in ESM and CommonJS, and run the README examples', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-packaging-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const tarballs = path.join(tmp, 'tarballs');
  fs.mkdirSync(tarballs);

  // 1. npm pack: what each tarball holds.
  const tarball = {} as Record<Pkg, string>;
  for (const pkg of PACKAGES) {
    const out = await mustRun(t, 'npm', ['pack', '--json', '--pack-destination', tarballs], path.join(WORKSPACE, 'packages', pkg));
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    tarball[pkg] = path.join(tarballs, info!.filename);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', ...(pkg === 'figures' ? [] : ['index.cjs'])]) {
      t.true(files.includes(needed), `${pkg}'s tarball has ${needed}`);
    }
    t.deepEqual(
      files.filter((f) => f.startsWith('src/') || f.endsWith('.map') || f.endsWith('.tsbuildinfo')),
      [],
      `${pkg}'s tarball ships dist only`,
    );
    if (pkg === 'view') {
      for (const needed of ['bin/ranklog.js', 'dist/cli.js', 'dist/ui/index.html']) t.true(files.includes(needed), `view's tarball has ${needed}`);
      t.true(
        files.some((f) => /^dist\/ui\/[^/]+\.js$/.test(f)),
        "view's tarball has the page's scripts",
      );
    }
  }

  const sizes: Record<string, string> = {};
  for (const s of SCENARIOS) {
    const proj = path.join(tmp, s.name);
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // 2. Install from npm's cache alone: tests make no network traffic. scripts/warm-npm-cache.sh
    //    (run by .ci/run before the tests) puts what the tarballs depend on into the cache.
    const args = ['install', '--no-audit', '--no-fund', '--offline', ...s.packages.map((p) => tarball[p]), ...(s.extra ?? [])];
    const inst = await run('npm', args, proj);
    if (inst.code !== 0 && /ENOTCACHED/.test(inst.stderr) && !process.env.CI) {
      t.log(
        `${s.name}: npm's cache lacks a dependency and this test stays offline; run \`bash scripts/warm-npm-cache.sh\` once (it uses the registry), then the test again`,
      );
      return;
    }
    t.is(inst.code, 0, `${inst.stderr}\n(in CI, .ci/run warms npm's cache with scripts/warm-npm-cache.sh before the tests)`);
    const size = installedSize(path.join(proj, 'node_modules'));
    sizes[s.name] = `${MB(size.bytes)} MB, ${size.packages} packages`;
    t.log(`${s.name}: node_modules ${MB(size.bytes)} MB (${size.bytes} bytes), ${size.packages} packages: ${size.names.join(' ')}`);
    // One copy of core: the backends take it as a peer.
    t.deepEqual(
      size.names.filter((n) => n === '@ranklog/core'),
      ['@ranklog/core'],
    );
    if (s.name === 'core') {
      t.true(size.bytes <= CORE_MAX_BYTES, `core alone installs ${MB(size.bytes)} MB, more than ${MB(CORE_MAX_BYTES)} MB`);
      t.true(size.packages <= CORE_MAX_PACKAGES, `core alone installs ${size.packages} packages, more than ${CORE_MAX_PACKAGES}`);
      t.false(
        size.names.some((n) => /vega|resvg|dejavu/.test(n)),
        'the renderer is not part of core',
      );
      // The published declarations do not show @internal members.
      const dts = fs.readFileSync(path.join(proj, 'node_modules/@ranklog/core/dist/api/logger.d.ts'), 'utf8');
      t.notRegex(dts, /^\s+(protected\s+|readonly\s+)*(bind|spec|specs|ctx|subset|owner|freq|attachContext|refuse|active|notInitialized)\b/m);
    }

    // 3. ESM: the README examples of the installed packages, type-checked strictly, then run.
    const examples = s.packages;
    const esm = path.join(proj, 'esm');
    const tfjs = s.packages.includes('tfjs');
    writeProject(esm, 'module', Object.fromEntries(examples.map((p) => [`${p}.ts`, readmeExample(p)])), tfjs);
    await mustRun(t, process.execPath, [TSC, '-p', esm], esm);
    for (const p of examples) {
      const cwd = path.join(esm, `run-${p}`);
      fs.mkdirSync(cwd);
      const r = await run(process.execPath, [path.join(esm, 'dist', `${p}.js`)], cwd);
      t.is(r.code, 0, `${s.name}: the README example of ${p} failed:\n${r.stderr}`);
      t.notRegex(r.stderr, /Error|warn/i, `${s.name}: the README example of ${p} ran cleanly`);
    }
    // What the examples wrote.
    const csv = fs.readFileSync(path.join(esm, 'run-core/logs/quickstart/metrics.csv'), 'utf8').trimEnd().split('\n');
    t.is(csv.length, 1 + 30 + 3, 'header, 30 batch losses, 3 epoch losses');
    if (s.packages.includes('tensorboard'))
      t.true(fs.readdirSync(path.join(esm, 'run-tensorboard/mllogs/quickstart')).some((f) => f.startsWith('events.out.tfevents.')));
    if (s.packages.includes('mlflow')) t.true(fs.existsSync(path.join(esm, 'run-mlflow/mllogs/mlflow')));
    if (s.packages.includes('tfjs')) t.true(fs.existsSync(path.join(esm, 'run-tfjs/logs/tfjs-quickstart/artifacts/model/model/model.json')));
    if (s.packages.includes('wandb')) t.true(fs.readdirSync(path.join(esm, 'run-wandb/mllogs/wandb')).some((f) => f.startsWith('offline-run-')));
    if (s.packages.includes('view')) {
      // The command the README gives, from the installed bin; and the page and uPlot served by the installed package.
      const help = await mustRun(t, path.join(proj, 'node_modules/.bin/ranklog'), ['view', '--help'], proj);
      t.regex(help, /^usage: ranklog view \[savedir…\]/);
      const check = `import('@ranklog/view').then(async ({ startViewServer }) => {
        const s = await startViewServer({ savedirs: ['esm/run-view/logs'] });
        const page = await fetch(new URL('/', s.url));
        const uplot = await fetch(new URL('/ui/uPlot.esm.js', s.url));
        console.log(JSON.stringify([page.status, (await page.text()).includes('<html'), uplot.status]));
        await s.close();
      });`;
      t.deepEqual(JSON.parse(await mustRun(t, process.execPath, ['--input-type=module', '-e', check], proj)), [200, true, 200]);
    }
    if (s.packages.includes('figures')) {
      const png = fs.readFileSync(path.join(esm, 'run-figures/logs/figures/figures/loss_curve/rank0-step2.png'));
      t.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'the Vega-Lite figure became a PNG');
    }

    // 4. CommonJS: a TypeScript project of type commonjs: compiled to require(), type-checked, run.
    const cjs = path.join(proj, 'cjs');
    writeProject(cjs, 'commonjs', { 'main.ts': cjsProgram(s.packages) }, tfjs);
    await mustRun(t, process.execPath, [TSC, '-p', cjs], cjs);
    t.regex(fs.readFileSync(path.join(cjs, 'dist/main.js'), 'utf8'), /require\("@ranklog\/core"\)/, 'compiled to require()');
    const r = await run(process.execPath, [path.join(cjs, 'dist/main.js')], cjs);
    t.is(r.code, 0, `${s.name}: the CommonJS program failed:\n${r.stderr}`);
    const backends = [
      'LocalFileLogger',
      ...s.packages.flatMap((p) => ({ tensorboard: ['TensorBoardLogger'], mlflow: ['MLFlowLogger'], wandb: ['WandBLogger'] })[p as string] ?? []),
    ];
    t.deepEqual(
      JSON.parse(r.stdout),
      backends.map((b) => [b, 5, 0]),
    );
  }
  t.log(JSON.stringify(sizes));
});
