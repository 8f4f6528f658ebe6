/** Loopback ports for benches: random in a range below 32768 (outside Linux's ephemeral range), retried on a clash. */
export const randomPort = (base: number, span = 4000) => base + Math.floor(Math.random() * span);

export const isAddressInUse = (error: unknown) =>
  (error as NodeJS.ErrnoException)?.code === "EADDRINUSE" || /address already in use|EADDRINUSE/i.test(String(error));

/** Calls `start(port)` with random ports from [base, base + span) until one is free. */
export async function onFreePort<T>(base: number, start: (port: number) => Promise<T>, attempts = 8): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await start(randomPort(base));
    } catch (error) {
      lastError = error;
      if (!isAddressInUse(error)) throw error;
    }
  }
  throw lastError;
}
