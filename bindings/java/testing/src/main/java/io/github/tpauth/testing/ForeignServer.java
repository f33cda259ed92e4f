package io.github.tpauth.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A server on 127.0.0.1 that is not the API (another port: a host that may not see the token); it
 * records the Authorization and apikey headers of every request it gets, and answers 200.
 */
public final class ForeignServer implements AutoCloseable {
    private final HttpServer server;
    /** "METHOD path authorization=... apikey=..." per request received. */
    public final List<String> received = new CopyOnWriteArrayList<>();

    public ForeignServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " authorization="
                    + exchange.getRequestHeaders().getFirst("Authorization") + " apikey=" + exchange.getRequestHeaders().getFirst("apikey"));
            byte[] body = "{}".getBytes("UTF-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
