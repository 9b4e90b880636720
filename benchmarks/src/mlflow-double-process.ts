/**
 * The test suite's MLflow tracking-server double (@ranklog/mlflow-double) in a process of its
 * own, for the end-to-end benchmark: in the logging process it would share the main thread with
 * the training loop. Prints its URL as one JSON line; ends on SIGTERM.
 */
import { startMlflowDouble } from '@ranklog/mlflow-double';

const double = await startMlflowDouble();
process.stdout.write(JSON.stringify({ url: double.url }) + '\n');
process.on('SIGTERM', () => void double.close().then(() => process.exit(0)));
