/**
 * After SIGHUP the terminal may be gone, and a reader of a pipe may have quit (`| head`): writes to
 * stdout and stderr then fail with EIO or EPIPE, reported as an 'error' event that would otherwise crash
 * the process. What fluence prints is never worth a crash or a different exit code: the outputs, the
 * store and the exit code carry the result, so such errors are dropped.
 */
export function tolerateBrokenStdio(
  streams: NodeJS.WritableStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    if (!stream.listeners("error").includes(ignore)) stream.on("error", ignore);
  }
}

function ignore(): void {}
