/** Resolves after ms, or as soon as the signal aborts or `wake` calls back. */
export function sleep (ms: number, signal: AbortSignal, wake?: (listener: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    const unsubscribe = wake?.(done)
    signal.addEventListener('abort', done)
    function done () {
      clearTimeout(timer)
      unsubscribe?.()
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

/** The promise's outcome, or `false` once ms have passed: for calls on a connection that may hang. */
export async function within<T> (promise: Promise<T>, ms: number): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>((resolve) => { timer = setTimeout(resolve, ms, false) })
  try {
    return await Promise.race([promise, timedOut])
  } finally {
    clearTimeout(timer)
  }
}
