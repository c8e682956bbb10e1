// Stops the broker when the process that started it goes away: `npx warren` runs it under `sh -c`, and a SIGTERM or
// SIGINT sent to npx reaches the shell but not the broker, which would otherwise live on as an orphan holding its ports.

/** Polls the parent pid (twice a second, unref'd): once it changes (the parent died, we were re-parented), calls `stop`. */
export function stopWhenOrphaned(stop: (why: string) => void, everyMs = 500): void {
  const parent = process.ppid;
  // Started by init (a container's PID 1, a service manager) there is no parent to outlive.
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop('parent exited');
  }, everyMs);
  timer.unref();
}
