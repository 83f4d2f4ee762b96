import { fileURLToPath } from 'node:url';

/** The repository's `infra/` directory (poms, Kafka and S3Proxy config templates). */
export const INFRA_DIR = fileURLToPath(new URL('../../../../infra/', import.meta.url));
