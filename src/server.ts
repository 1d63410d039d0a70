import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError } from './config/index.ts'

// The contract: SIGTERM to exit within 10 s; the rest of the drain must fit inside it
const CLOSE_GRACE_MS = 9000

async function start () {
  const app = await buildApp()
  closeWithGrace({ delay: CLOSE_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  await app.ready()
  await app.listen({ port: app.config.port, host: app.config.host })
}

start().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`)
  } else {
    process.stderr.write(`contact-sync failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  }
  process.exit(1)
})
