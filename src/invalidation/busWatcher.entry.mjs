// The bus watcher thread's entry (busWatcher.ts). A worker thread does not get the loader
// that `--import tsx` gave the main thread (Node 20: privatenumber/tsx#354), so the thread
// registers tsx itself before it loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./busWatcher.thread.ts');
