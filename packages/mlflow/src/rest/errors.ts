/** What can go wrong talking to a tracking server, sorted by what to do about it. */

/** Worth retrying: connection errors, timeouts, 429 and 5xx. */
export class TransientError extends Error {
  constructor(
    message: string,
    /** Server's Retry-After, ms, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

/** The server rejected the request (4xx other than 429): retrying would fail the same way. */
export class MlflowApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly serverMessage: string,
    readonly endpoint: string,
  ) {
    super(`MLflow ${endpoint} answered ${status} ${errorCode}: ${serverMessage}`);
    this.name = 'MlflowApiError';
  }
}

/**
 * 401/403: the credentials are wrong or missing. Not the data's fault, so nothing is
 * dropped: the records wait in the spool until the server accepts us (retrying soon is pointless).
 */
export class AuthError extends TransientError {
  constructor(endpoint: string, status: number) {
    super(
      `${endpoint} answered ${status}: the tracking server refused our credentials; check MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN (records are kept in the spool)`,
    );
    this.name = 'AuthError';
  }
}
