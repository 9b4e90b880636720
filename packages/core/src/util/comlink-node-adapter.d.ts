// comlink ships its Node adapter as an ESM file without an exports map.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    // biome-ignore lint/suspicious/noExplicitAny: comlink's own declaration, which Worker and MessagePort satisfy
    postMessage(message: any, transfer?: any[]): void;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    on(type: string, listener: (...args: any[]) => void, options?: object): void;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    off(type: string, listener: (...args: any[]) => void, options?: object): void;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
