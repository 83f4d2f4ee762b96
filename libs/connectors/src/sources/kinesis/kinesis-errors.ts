/** Kinesis (AWS SDK) failures as {@link SourceError}s, and which of them are worth retrying. */
import { connectError, messageOf, SourceError, systemErrorCode } from '../source-error.ts';

const AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'KMSAccessDeniedException',
  'CredentialsProviderError',
]);

/** Errors that mean "slow down", not "broken". */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
]);

/** The AWS error name (`ResourceNotFoundException`, …) of an SDK error, if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && name !== 'Error' ? name : undefined;
}

/** True for throttling errors (back off and retry, not an outage). */
export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(awsErrorName(error) ?? '');
}

/**
 * Classifies a failed Kinesis call about `streamName` at `endpoint`: refused credentials are
 * `OXBOW_SOURCE_AUTH`, a missing stream `OXBOW_SOURCE_NOT_FOUND`, an unresolvable host
 * `OXBOW_SOURCE_BAD_ADDRESS`, anything else `OXBOW_SOURCE_UNAVAILABLE` (retriable).
 */
export function kinesisError(streamName: string, endpoint: string, error: unknown): SourceError {
  if (SourceError.is(error)) return error;
  const name = awsErrorName(error);
  const what = `Kinesis stream ${streamName} at ${endpoint}`;
  if (name !== undefined && AUTH_ERRORS.has(name)) {
    return new SourceError(
      'OXBOW_SOURCE_AUTH',
      `${what}: credentials refused (${name}: ${messageOf(error)})`,
      {
        cause: error,
      },
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new SourceError('OXBOW_SOURCE_NOT_FOUND', `${what}: no such stream (${messageOf(error)})`, {
      cause: error,
    });
  }
  if (name === 'InvalidArgumentException' || name === 'ValidationException') {
    return new SourceError('OXBOW_SOURCE_BAD_OPTIONS', `${what}: ${messageOf(error)}`, { cause: error });
  }
  if (systemErrorCode(error) !== undefined) return connectError('Kinesis', endpoint, error);
  return new SourceError('OXBOW_SOURCE_UNAVAILABLE', `${what}: ${name ?? 'error'}: ${messageOf(error)}`, {
    cause: error,
  });
}
