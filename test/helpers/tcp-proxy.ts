import { createServer, connect, type Socket } from 'node:net'

export interface TcpProxy {
  url: (databaseUrl: string) => string
  /** 'forward' passes bytes both ways; 'blackhole' accepts and swallows everything: a server that never answers. */
  setMode: (mode: 'forward' | 'blackhole') => void
  close: () => Promise<void>
}

/** A loopback TCP proxy in front of a real server, to make it hang on demand. */
export async function startTcpProxy (target: { host: string, port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'blackhole' = 'forward'
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
  return {
    url (databaseUrl) {
      const url = new URL(databaseUrl)
      url.hostname = '127.0.0.1'
      url.port = String(port)
      return url.toString()
    },
    setMode (next) { mode = next },
    async close () {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
