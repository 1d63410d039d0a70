import { createServer, connect, type Socket } from 'node:net'

export type ProxyMode = 'forward' | 'blackhole' | 'refuse'

export interface TcpProxy {
  port: number
  url: (databaseUrl: string) => string
  /**
   * 'forward' passes bytes both ways; 'blackhole' accepts and swallows everything (a server
   * that never answers); 'refuse' stops listening and drops open connections (connection refused).
   */
  setMode: (mode: ProxyMode) => Promise<void>
  close: () => Promise<void>
}

/** A loopback TCP proxy in front of a real server, to make it hang or vanish on demand. */
export async function startTcpProxy (target: { host: string, port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward'
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.on('data', (chunk) => { if (mode === 'forward') upstream.write(chunk) })
    upstream.on('data', (chunk) => { if (mode === 'forward') client.write(chunk) })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  async function stopListening () {
    for (const socket of sockets) socket.destroy()
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  return {
    port,
    url (databaseUrl) {
      const url = new URL(databaseUrl)
      url.hostname = '127.0.0.1'
      url.port = String(port)
      return url.toString()
    },
    async setMode (next) {
      if (next === 'refuse') await stopListening()
      else if (!server.listening) await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
      mode = next
    },
    close: stopListening
  }
}
