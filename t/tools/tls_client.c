/*
 * tls_client: HTTP/1.1 requests on one TLS connection whose client
 * certificate changes between requests, for t/reneg.t.
 *
 *   tls_client HOST PORT CA_FILE 1.2|1.3 STEP...
 *
 * STEP is "cert:PREFIX" (PREFIX.crt and PREFIX.key become the certificate
 * the client answers the next certificate request with: the handshake's if
 * no request was sent yet, else a TLS 1.2 renegotiation's or a TLS 1.3
 * post-handshake authentication's) or "get:PATH" (one GET on the
 * connection; prints "PATH STATUS").  Exit status 0 when every request got
 * a response, 1 otherwise (the status of the failed one is 000).
 *
 * Python's ssl and curl cannot change the certificate of a live
 * connection; OpenSSL's library can (SSL_use_certificate_file on the
 * connection's SSL).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int use_cert(SSL *ssl, const char *prefix)
{
    char crt[4096], key[4096];

    snprintf(crt, sizeof(crt), "%s.crt", prefix);
    snprintf(key, sizeof(key), "%s.key", prefix);
    if (SSL_use_certificate_file(ssl, crt, SSL_FILETYPE_PEM) != 1
        || SSL_use_PrivateKey_file(ssl, key, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "tls_client: cannot use %s / %s\n", crt, key);
        ERR_print_errors_fp(stderr);
        return -1;
    }
    return 0;
}

/* Buffered reading from the TLS connection. */
typedef struct {
    SSL *ssl;
    char buf[16384];
    int len, pos;
} reader_t;

static int rd_byte(reader_t *r)
{
    if (r->pos == r->len) {
        int n = SSL_read(r->ssl, r->buf, sizeof(r->buf));

        if (n <= 0) {
            return -1;
        }
        r->len = n;
        r->pos = 0;
    }
    return (unsigned char)r->buf[r->pos++];
}

static int rd_line(reader_t *r, char *out, size_t cap)
{
    size_t n = 0;
    int c;

    while ((c = rd_byte(r)) >= 0) {
        if (c == '\n') {
            if (n > 0 && out[n - 1] == '\r') {
                n--;
            }
            out[n] = '\0';
            return 0;
        }
        if (n + 1 < cap) {
            out[n++] = (char)c;
        }
    }
    return -1;
}

static int rd_skip(reader_t *r, long n)
{
    while (n-- > 0) {
        if (rd_byte(r) < 0) {
            return -1;
        }
    }
    return 0;
}

/* One GET; returns the status, or 0 when the connection failed. */
static int get(SSL *ssl, reader_t *rd, const char *path)
{
    char req[4096], line[8192];
    long clen = -1;
    int status = 0, chunked = 0, n;

    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
    if (SSL_write(ssl, req, n) != n) {
        return 0;
    }
    if (rd_line(rd, line, sizeof(line)) != 0
        || sscanf(line, "HTTP/1.%*d %d", &status) != 1) {
        return 0;
    }
    while (rd_line(rd, line, sizeof(line)) == 0 && line[0] != '\0') {
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            clen = strtol(line + 15, NULL, 10);
        }
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0
                 && strstr(line, "chunked") != NULL) {
            chunked = 1;
        }
    }
    if (chunked) {
        for (;;) {
            long size;

            if (rd_line(rd, line, sizeof(line)) != 0) {
                return 0;
            }
            size = strtol(line, NULL, 16);
            if (rd_skip(rd, size) != 0 || rd_line(rd, line, sizeof(line))) {
                return 0;
            }
            if (size == 0) {
                break;
            }
        }
    }
    else if (clen > 0 && rd_skip(rd, clen) != 0) {
        return 0;
    }
    return status;
}

int main(int argc, char **argv)
{
    SSL_CTX *ctx;
    SSL *ssl;
    reader_t rd;
    struct addrinfo hints, *ai;
    int fd, i, tls13, sent = 0, failed = 0;

    if (argc < 6) {
        fprintf(stderr, "usage: tls_client HOST PORT CA 1.2|1.3 STEP...\n");
        return 2;
    }
    tls13 = strcmp(argv[4], "1.3") == 0;
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, tls13 ? TLS1_3_VERSION
                                             : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, tls13 ? TLS1_3_VERSION
                                             : TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1) {
        fprintf(stderr, "tls_client: cannot read %s\n", argv[3]);
        return 2;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
        fprintf(stderr, "tls_client: cannot resolve %s\n", argv[1]);
        return 2;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        perror("tls_client: connect");
        return 1;
    }
    freeaddrinfo(ai);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    if (tls13) {
        SSL_set_post_handshake_auth(ssl, 1);
    }
    memset(&rd, 0, sizeof(rd));
    rd.ssl = ssl;
    for (i = 5; i < argc; i++) {
        if (strncmp(argv[i], "cert:", 5) == 0) {
            if (use_cert(ssl, argv[i] + 5) != 0) {
                return 2;
            }
            continue;
        }
        if (strncmp(argv[i], "get:", 4) != 0) {
            fprintf(stderr, "tls_client: unknown step %s\n", argv[i]);
            return 2;
        }
        if (!sent) {
            if (SSL_connect(ssl) != 1) {
                fprintf(stderr, "tls_client: handshake failed\n");
                ERR_print_errors_fp(stderr);
                return 1;
            }
            sent = 1;
        }
        if (!failed) {
            int status = get(ssl, &rd, argv[i] + 4);

            printf("%s %03d\n", argv[i] + 4, status);
            failed = status == 0;
        }
        else {
            printf("%s 000\n", argv[i] + 4);
        }
        fflush(stdout);
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    return failed;
}
