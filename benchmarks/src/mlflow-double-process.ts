/**
 * The test suite's MLflow tracking-server double in a process of its own, for
 * the end-to-end benchmark: in the logging process it would share the main
 * thread with the training loop. Prints its URL as one JSON line; ends on SIGTERM.
 */
const mod = (await import(new URL('../../test/dist/support/mlflow-server.js', import.meta.url).href)) as {
  startMlflowDouble(opts?: object): Promise<{ url: string; close(): Promise<void> }>;
};
const double = await mod.startMlflowDouble();
process.stdout.write(JSON.stringify({ url: double.url }) + '\n');
process.on('SIGTERM', () => void double.close().then(() => process.exit(0)));
