import { once } from 'node:events';
import WebSocket from 'ws';

/**
 * The server's live JS heap, read through its inspector (the bench starts the server with
 * `--inspect=127.0.0.1:0`): two full collections, then `Runtime.getHeapUsage`. Unlike an RSS
 * delta this does not swing with whatever garbage the last scavenge left, so "memory per
 * screen" = (heap with N screens − heap without) / N is stable across runs. It counts JS objects
 * only (sockets, rooms, buffers held by JS); kernel socket buffers are outside it.
 */
export async function heapUsedAfterGc(inspectorUrl: string): Promise<number> {
  const ws = new WebSocket(inspectorUrl);
  await once(ws, 'open');
  let nextId = 0;
  const call = (method: string): Promise<Record<string, unknown>> =>
    new Promise((resolveCall, reject) => {
      const id = ++nextId;
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (msg.id !== id) return;
        ws.off('message', onMessage);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolveCall(msg.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params: {} }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return Number(usage.usedSize);
  } finally {
    ws.close();
  }
}

/** the inspector's WebSocket address from the server's stderr ("Debugger listening on ws://…") */
export function inspectorUrlFrom(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}
