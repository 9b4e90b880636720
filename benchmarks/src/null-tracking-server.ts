/**
 * A tracking server that accepts every request and stores nothing: the
 * baseline that shows what the MLflow client itself sustains, apart from the
 * double's strict (and costly) validation. Prints its URL; ends on SIGTERM.
 */
import http from 'node:http';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const url = req.url ?? '';
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.includes('/experiments/get-by-name')) return json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no such experiment' });
    if (url.includes('/experiments/create')) return json(200, { experiment_id: '1' });
    if (url.includes('/runs/create')) return json(200, { run: { info: { run_id: 'bench', artifact_uri: 'mlflow-artifacts:/1/bench/artifacts' } } });
    json(200, {});
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
