/**
 * The S3 endpoint integration tests use: the local stack's S3Proxy unless OXBOW_S3_* say otherwise
 * (the variables and defaults of libs/config's schema), and a helper that creates the bucket if missing.
 */
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { S3FileSystem, type S3Options } from '../../src/storage/s3-file-system.ts';

/** Endpoint, region and credentials from OXBOW_S3_ENDPOINT (or _PORT), _REGION, _ACCESS_KEY, _SECRET_KEY. */
export function stackS3Options(): S3Options {
  return {
    endpoint: process.env.OXBOW_S3_ENDPOINT ?? `http://127.0.0.1:${process.env.OXBOW_S3_PORT ?? 29000}`,
    region: process.env.OXBOW_S3_REGION ?? 'us-east-1',
    accessKeyId: process.env.OXBOW_S3_ACCESS_KEY ?? 'oxbow',
    secretAccessKey: process.env.OXBOW_S3_SECRET_KEY ?? 'oxbow-secret',
    forcePathStyle: true,
    maxAttempts: 2,
  };
}

/** The test bucket, `lake` unless OXBOW_S3_BUCKET says otherwise. */
export const TEST_BUCKET = process.env.OXBOW_S3_BUCKET ?? 'lake';

/**
 * Opens `s3://<bucket>/<prefix>` on the stack's S3 and creates the bucket if needed. Fails with a hint
 * when nothing answers at the endpoint.
 */
export async function openStackS3(prefix: string): Promise<S3FileSystem> {
  const options = stackS3Options();
  const fs = new S3FileSystem(`s3://${TEST_BUCKET}/${prefix}`, options);
  try {
    await fs.client.send(new HeadBucketCommand({ Bucket: TEST_BUCKET }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) {
      await fs.client.send(new CreateBucketCommand({ Bucket: TEST_BUCKET }));
    } else {
      await fs.close();
      throw new Error(
        `no S3 at ${options.endpoint ?? 'AWS'} (${String(error)}): start the stack with \`npm run stack -- up\` ` +
          'or point OXBOW_S3_ENDPOINT/OXBOW_S3_ACCESS_KEY/OXBOW_S3_SECRET_KEY at an S3-compatible server',
      );
    }
  }
  return fs;
}
