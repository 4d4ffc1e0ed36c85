// Closed-loop memcached text-protocol load generator over TLS, for bench/tls.sh (issue #12).
// memcaslap has no TLS, so this stands in for its get90 workload: every connection keeps one
// request in flight, 90 % `get` / 10 % `set` of 100 B values over --keys keys (stored once first).
//
//   tls_gen --port P [--threads 2] [--conns 64] [--duration 10] [--keys 10000] [--set-ratio 0.1]
//           [--plain]          same load without TLS (to check the generator against memcaslap)
//   tls_gen --port P --handshakes [--threads 4] [--duration 5]
//           full TLS handshakes (connect, handshake, one `version`, close), no resumption
//
// Prints one JSON object: ops (or handshakes), seconds, per-second rate, errors.
// Build: cc -O2 -pthread -o tls_gen tls_gen.c -lssl -lcrypto (bench/tls.sh does it).
// Every loop is bounded by the run's deadline. Certificates are not verified (the bench measures
// throughput; the tests check verification).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int g_port, g_threads = 2, g_conns = 64, g_keys = 10000, g_plain, g_handshakes;
static double g_duration = 10, g_set_ratio = 0.1;
static SSL_CTX* g_ctx;
static char g_value[101];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
  int fd;
  SSL* ssl;
  char in[4096];
  size_t in_len;
  int is_get;
} Conn;

static int conn_open(Conn* c) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(c->fd, (struct sockaddr*)&a, sizeof(a)) != 0) return -1;
  c->ssl = NULL;
  if (g_plain) return 0;
  c->ssl = SSL_new(g_ctx);
  SSL_set_fd(c->ssl, c->fd);
  if (SSL_connect(c->ssl) != 1) {  // blocking: the socket is still blocking here
    ERR_clear_error();
    return -1;
  }
  return 0;
}

static void conn_close(Conn* c) {
  if (c->ssl) {
    SSL_free(c->ssl);
  }
  close(c->fd);
}

static int conn_write(Conn* c, const char* p, size_t n) {
  for (int tries = 0; n > 0 && tries < 100000; ++tries) {
    ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)n) : send(c->fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (c->ssl && SSL_get_error(c->ssl, (int)w) == SSL_ERROR_WANT_WRITE) continue;
    if (!c->ssl && (errno == EAGAIN || errno == EINTR)) continue;
    return -1;
  }
  return n == 0 ? 0 : -1;
}

static uint64_t g_seed_base = 88172645463325252ULL;
static uint64_t xorshift(uint64_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static int send_request(Conn* c, uint64_t* rng, int force_set, int key) {
  char req[256];
  int k = key >= 0 ? key : (int)(xorshift(rng) % (uint64_t)g_keys);
  c->is_get = !force_set && (double)(xorshift(rng) % 10000) / 10000.0 >= g_set_ratio;
  int n = c->is_get ? snprintf(req, sizeof(req), "get key:%08d\r\n", k)
                    : snprintf(req, sizeof(req), "set key:%08d 0 0 100\r\n%s\r\n", k, g_value);
  c->in_len = 0;
  return conn_write(c, req, (size_t)n);
}

// 1: a whole reply is in c->in; 0: not yet; -1: error.
static int reply_done(const Conn* c) {
  if (c->in_len < 2 || memcmp(c->in + c->in_len - 2, "\r\n", 2) != 0) return 0;
  if (!c->is_get) return 1;
  return c->in_len >= 5 && memcmp(c->in + c->in_len - 5, "END\r\n", 5) == 0;
}

// Reads what is there; 1 when the reply is complete, 0 to wait, -1 on error.
static int conn_read(Conn* c) {
  for (int i = 0; i < 64; ++i) {
    size_t room = sizeof(c->in) - c->in_len;
    if (room == 0) return -1;
    ssize_t r = c->ssl ? SSL_read(c->ssl, c->in + c->in_len, (int)room)
                       : recv(c->fd, c->in + c->in_len, room, 0);
    if (r > 0) {
      c->in_len += (size_t)r;
      if (reply_done(c)) return 1;
      continue;
    }
    if (c->ssl) {
      int e = SSL_get_error(c->ssl, (int)r);
      if (e == SSL_ERROR_WANT_READ) return 0;
      ERR_clear_error();
      return -1;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;
  }
  return 0;
}

typedef struct {
  int id;
  uint64_t ops, errors;
  double seconds;
} Worker;

static void* load_worker(void* arg) {
  Worker* w = arg;
  int n = g_conns / g_threads + (w->id < g_conns % g_threads);
  Conn* conns = calloc((size_t)n, sizeof(Conn));
  int ep = epoll_create1(0);
  uint64_t rng = g_seed_base + (uint64_t)w->id * 7919;
  for (int i = 0; i < n; ++i) {
    if (conn_open(&conns[i]) != 0) {
      fprintf(stderr, "tls_gen: connect/handshake failed\n");
      exit(2);
    }
    fcntl(conns[i].fd, F_SETFL, fcntl(conns[i].fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  double start = now_s(), end = start + g_duration;
  for (int i = 0; i < n; ++i) send_request(&conns[i], &rng, 0, -1);
  struct epoll_event evs[256];
  while (now_s() < end) {
    int k = epoll_wait(ep, evs, 256, 100);
    for (int j = 0; j < k; ++j) {
      Conn* c = &conns[evs[j].data.u32];
      int r = conn_read(c);
      if (r < 0) {
        w->errors++;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        continue;
      }
      if (r == 1) {
        w->ops++;
        if (send_request(c, &rng, 0, -1) != 0) w->errors++;
      }
    }
  }
  w->seconds = now_s() - start;
  for (int i = 0; i < n; ++i) conn_close(&conns[i]);
  free(conns);
  close(ep);
  return NULL;
}

// Full handshakes: connect, handshake, one `version` round trip, close; no session reuse.
static void* handshake_worker(void* arg) {
  Worker* w = arg;
  double start = now_s(), end = start + g_duration;
  while (now_s() < end) {
    Conn c = {0};
    if (conn_open(&c) != 0) {
      w->errors++;
      close(c.fd);
      continue;
    }
    char buf[256];
    int n = -1;
    if (conn_write(&c, "version\r\n", 9) == 0) {
      n = c.ssl ? SSL_read(c.ssl, buf, sizeof(buf)) : (int)recv(c.fd, buf, sizeof(buf), 0);
    }
    if (n > 0) {
      w->ops++;
    } else {
      w->errors++;
      ERR_clear_error();
    }
    conn_close(&c);
  }
  w->seconds = now_s() - start;
  return NULL;
}

// Stores every key once, so gets hit.
static void preload(void) {
  Conn c;
  if (conn_open(&c) != 0) {
    fprintf(stderr, "tls_gen: preload connect failed\n");
    exit(2);
  }
  uint64_t rng = 1;
  for (int k = 0; k < g_keys; ++k) {
    if (send_request(&c, &rng, 1, k) != 0) exit(2);
    int r = 0;
    for (int i = 0; i < 100000 && r == 0; ++i) r = conn_read(&c);
    if (r != 1) {
      fprintf(stderr, "tls_gen: preload failed\n");
      exit(2);
    }
  }
  conn_close(&c);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "0";
    if (!strcmp(a, "--port")) g_port = atoi(v), ++i;
    else if (!strcmp(a, "--threads")) g_threads = atoi(v), ++i;
    else if (!strcmp(a, "--conns")) g_conns = atoi(v), ++i;
    else if (!strcmp(a, "--duration")) g_duration = atof(v), ++i;
    else if (!strcmp(a, "--keys")) g_keys = atoi(v), ++i;
    else if (!strcmp(a, "--set-ratio")) g_set_ratio = atof(v), ++i;
    else if (!strcmp(a, "--plain")) g_plain = 1;
    else if (!strcmp(a, "--handshakes")) g_handshakes = 1;
    else {
      fprintf(stderr, "tls_gen: unknown argument %s\n", a);
      return 2;
    }
  }
  if (g_port <= 0 || g_threads <= 0 || g_threads > 256 || g_conns < g_threads || g_keys <= 0) {
    fprintf(stderr, "tls_gen: bad arguments\n");
    return 2;
  }
  memset(g_value, 'x', 100);
  g_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_OFF);
  if (!g_handshakes) preload();
  pthread_t th[256];
  Worker ws[256];
  for (int t = 0; t < g_threads; ++t) {
    ws[t] = (Worker){.id = t};
    pthread_create(&th[t], NULL, g_handshakes ? handshake_worker : load_worker, &ws[t]);
  }
  uint64_t ops = 0, errors = 0;
  double seconds = 0;
  for (int t = 0; t < g_threads; ++t) {
    pthread_join(th[t], NULL);
    ops += ws[t].ops;
    errors += ws[t].errors;
    if (ws[t].seconds > seconds) seconds = ws[t].seconds;
  }
  printf("{\"mode\": \"%s\", \"ops\": %llu, \"seconds\": %.3f, \"per_second\": %.0f, "
         "\"errors\": %llu}\n",
         g_handshakes ? "handshakes" : (g_plain ? "get90-plain" : "get90-tls"),
         (unsigned long long)ops, seconds, seconds > 0 ? ops / seconds : 0.0,
         (unsigned long long)errors);
  SSL_CTX_free(g_ctx);
  return errors > ops / 100 ? 1 : 0;
}
