/** Resolves after `ms` milliseconds: the Node timer handed to `wait_for_events`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
