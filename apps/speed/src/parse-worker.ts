/**
 * A parse thread of the speed layer ({@link ParsePool}): loads the project module itself and validates records'
 * bytes by their project topic's schema, exactly as the main thread's deserializer would (`schema.parse` at the
 * time given), answering with the events and the reasons of the rejected records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type AnyEvent, loadProject } from '@oxbow/views';
import type { ParseReply, ParseRequest, ParseWorkerData } from './parse-pool.ts';

const port = parentPort;
if (port === null) throw new Error('parse-worker.ts runs as a worker thread');
const { projectPath } = workerData as ParseWorkerData;

try {
  const project = await loadProject(projectPath);
  port.on('message', (request: ParseRequest) => {
    const reply: ParseReply = { id: request.id, events: [], rejected: [] };
    try {
      const schema = project.schemaOf(request.topic);
      const { bytes, ends } = request;
      let start = 0;
      for (let index = 0; index < ends.length; index++) {
        const end = ends[index] as number;
        const result = schema.parse(bytes.subarray(start, end), { now: request.now });
        if (result.ok) {
          reply.events.push(result.event);
        } else {
          reply.events.push(null as unknown as AnyEvent);
          reply.rejected.push([index, result.reasons.join('; ')]);
        }
        start = end;
      }
    } catch (error) {
      reply.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ initError: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}
