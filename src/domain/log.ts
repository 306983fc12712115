/** Severity of a log line. */
export type LogLevel = 'info' | 'warn' | 'error'

/**
 * Where inner layers send their few log lines. Entry files decide where lines
 * go (stderr for the CLI); tests pass a spy.
 */
export type Log = (level: LogLevel, message: string) => void

/** A log that drops everything. */
export const silentLog: Log = () => undefined
