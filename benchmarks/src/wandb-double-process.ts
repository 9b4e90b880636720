/**
 * The W&B double (@ranklog/wandb-double) in a process of its own, for the online W&B benchmark:
 * in the logging process it would share the main thread with the training loop. Prints its URL
 * and history line count per run on request; ends on SIGTERM.
 */
import { startWandbDouble } from '@ranklog/wandb-double';

const double = await startWandbDouble({ apiKey: 'local-bench0123456789abcdef0123456789abcdef01' });
process.stdout.write(JSON.stringify({ url: double.url }) + '\n');
process.on('SIGTERM', () => void double.close().then(() => process.exit(0)));
