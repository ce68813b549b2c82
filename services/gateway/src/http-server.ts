import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface GatewayServer {
  server: Server;
  /** Stops accepting, closes idle connections, lets requests in flight finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The HTTP server, with limits on how long a client may take to send its request (a feed's response is
 * long-lived and bounded by the slow-client rule instead). It tracks which sockets have a request in flight,
 * because Node's closeIdleConnections() leaves alone a connection that never sent one, which then holds a
 * shutdown for the whole grace period.
 */
export function createGatewayServer(app: RequestListener): GatewayServer {
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 15_000, requestTimeout: 30_000 }, app);
  const busy = new Map<Socket, number>();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      if (left > 0) busy.set(socket, left);
      else busy.delete(socket);
      if (closing && left <= 0) socket.destroy();
    });
  });
  let closing = false;

  return {
    server,
    close(graceMs = 5000) {
      closing = true;
      return new Promise((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
      });
    },
  };
}
