import type { IncomingMessage, ServerResponse } from "node:http";

/** Thrown into a pending request when its client went away or the sandbox is closing: nothing to answer. */
export class RequestAbandoned extends Error {
  constructor() {
    super("request abandoned");
    this.name = "RequestAbandoned";
  }
}

export class BodyTooLarge extends Error {}

/** Reads the whole body as UTF-8, refusing more than `limitBytes`. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () =>
      tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks).toString("utf8")),
    );
    req.on("error", () => reject(new RequestAbandoned()));
    req.on("close", () => {
      if (!req.complete) reject(new RequestAbandoned());
    });
  });
}

/** Writes `text` as a JSON response with an exact Content-Length (also for deliberately broken JSON). */
export function writeJson(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** The first half of a JSON text: what a reply cut short by a broken proxy looks like. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
