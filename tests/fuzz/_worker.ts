/// <reference lib="deno.worker" />
/**
 * The worker of the fuzz harness: reads one case per message with the
 * library reader of its kind and answers accepted / the error's class and
 * message (see `ReaderWorker` in `_harness.ts`).
 *
 * @module
 */
import { type FuzzCase, readInProcess, replyFor } from "./_harness.ts";

self.onmessage = async (e: MessageEvent<FuzzCase>) => {
  try {
    await readInProcess(e.data);
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage(replyFor(error));
  }
};
