/**
 * Teardown for benches: steps run in reverse order of registration, once, on success, error or
 * SIGINT/SIGTERM, and a failing step does not stop the others.
 *
 * Miniflare registers its own signal hook that stops workerd and then exits the process at once,
 * so async steps may not finish after a Ctrl-C. Steps that must happen anyway (removing temp files)
 * go through `addSync`: they also run from the process's `exit` event.
 */
export type CleanupStep = () => Promise<void> | void;

export interface Cleanup {
  add(step: CleanupStep): void;
  /** A synchronous step that also runs on process exit, however the process ends. */
  addSync(step: () => void): void;
  run(): Promise<void>;
}

export function createCleanup(log: (line: string) => void = console.error): Cleanup {
  const steps: { step: CleanupStep; done: boolean }[] = [];
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      for (const entry of [...steps].reverse()) {
        if (entry.done) continue;
        entry.done = true;
        try {
          await entry.step();
        } catch (error) {
          log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return running;
  };
  // `on`, not `once`: under `npm run`/tsx a Ctrl-C can arrive twice (from the terminal and relayed
  // by tsx), and a second signal without a listener would kill the process mid-cleanup.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (running) return;
      log(`\n${signal}: cleaning up`);
      void run().then(() => process.exit(130));
    });
  }
  const syncSteps: { step: () => void; done: boolean }[] = [];
  process.on("exit", () => {
    for (const entry of syncSteps) {
      if (entry.done) continue;
      entry.done = true;
      try {
        entry.step();
      } catch {
        // exiting anyway
      }
    }
  });
  return {
    add: (step) => void steps.push({ step, done: false }),
    addSync: (step) => {
      const entry = { step, done: false };
      syncSteps.push(entry);
      steps.push({
        step: () => {
          if (entry.done) return;
          entry.done = true;
          step();
        },
        done: false,
      });
    },
    run,
  };
}

/**
 * A bench's entry point: runs `main` (its exit code), prints what it threw, always runs the
 * cleanup, then exits with that code (1 on an error).
 */
export async function runBench(main: () => Promise<number>, cleanup: Cleanup): Promise<never> {
  let exitCode = 1;
  try {
    exitCode = await main();
  } catch (error) {
    console.error(error);
  } finally {
    await cleanup.run();
  }
  process.exit(exitCode);
}
