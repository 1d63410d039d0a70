// A Redis job queue: BullMQ's add() per request. Redis acknowledges from memory: on this machine it
// keeps nothing on disk, so a 202 here is not a commit as the service's is
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { requiredEnv, servePeer } from './peer-app.ts'

// BullMQ under ESM takes a client, not connection options; null: commands wait out a reconnect, as BullMQ requires
const redis = new Redis(requiredEnv('REDIS_URL'), { maxRetriesPerRequest: null })
// A queue of the run's own, removed afterwards: the Redis server is the machine's
const queue = new Queue(requiredEnv('QUEUE_NAME'), { connection: redis })

await servePeer({
  async write (contact) {
    await queue.add('contact', contact)
  },
  count: () => queue.count(),
  async close () {
    await queue.obliterate({ force: true })
    await queue.close()
    redis.disconnect()
  }
})
