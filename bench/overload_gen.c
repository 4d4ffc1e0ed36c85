// Open-loop memcached text-protocol load generator for bench/overload.sh.
//
// Requests are sent on a fixed schedule whatever the server answers: connection c sends its
// request number i at t0 + i / rate_c, pipelined, on non-blocking sockets. Replies come back in
// order on each connection, so each reply is matched with its request's scheduled send time and
// latency is measured from that time (a generator that falls behind shows up as latency, not as
// a lower offered load). Each connection keeps at most --window requests in flight; requests
// that fall due while the window is full are not sent and are counted as "unsent".
//
// One run is one step: connect, send for --duration seconds, wait up to --grace seconds for the
// outstanding replies, print one JSON object, exit. --preload instead stores every key once.
//
// Build: cc -O2 -pthread -o overload_gen overload_gen.c (bench/overload.sh does it).
// Standard C and POSIX only; every loop is bounded by the step's deadline.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

typedef struct {
  char* p;
  size_t head, len, cap;  // bytes [head, len) are live
} Buf;

static void buf_reserve(Buf* b, size_t extra) {
  if (b->head > 0 && (b->head == b->len || b->head > b->cap / 2)) {
    memmove(b->p, b->p + b->head, b->len - b->head);
    b->len -= b->head;
    b->head = 0;
  }
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < b->len + extra) cap *= 2;
  b->p = realloc(b->p, cap);
  if (!b->p) { perror("realloc"); exit(2); }
  b->cap = cap;
}

typedef struct {  // a growable array of latencies in microseconds
  uint32_t* v;
  size_t n, cap;
} Lats;

static void lats_add(Lats* l, uint32_t us) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 65536;
    l->v = realloc(l->v, l->cap * sizeof(uint32_t));
    if (!l->v) { perror("realloc"); exit(2); }
  }
  l->v[l->n++] = us;
}

typedef struct {
  uint64_t ok_win, shed_win, err_win;  // replies received before the end of the send window
  uint64_t ok, shed, err, misses;      // all replies, including those received while draining
  uint64_t scheduled, sent, unsent, timeouts, conn_errors;
  Lats lat_ok, lat_shed, hints;
  char first_err[160];
} Stats;

typedef struct {
  int fd, dead, in_value;
  double rate;             // requests per second on this connection
  uint64_t scheduled;      // requests that fell due so far (sent or unsent)
  int64_t* ring;           // scheduled send times (ns) of requests in flight
  size_t ring_head, ring_n;
  Buf out, in;
  uint64_t rng;
} Conn;

static struct {
  int port, conns, threads, keys, vsize, window;
  double rate, duration, grace, set_ratio;
  int preload;
} opt = {0, 32, 1, 10000, 100, 4096, 0, 2, 2, 0.1, 0};

static int64_t t0_ns, end_ns, deadline_ns;
static char* value_bytes;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t xorshift(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}

static int connect_one(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) { perror("socket"); exit(2); }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) { perror("connect"); exit(2); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void append_request(Conn* c, uint64_t key, int is_set) {
  buf_reserve(&c->out, 64 + (size_t)opt.vsize);
  char* w = c->out.p + c->out.len;
  int n;
  if (is_set) {
    n = sprintf(w, "set k%09llu 0 0 %d\r\n", (unsigned long long)key, opt.vsize);
    memcpy(w + n, value_bytes, (size_t)opt.vsize);
    n += opt.vsize;
    w[n++] = '\r'; w[n++] = '\n';
  } else {
    n = sprintf(w, "get k%09llu\r\n", (unsigned long long)key);
  }
  c->out.len += (size_t)n;
}

static void record_err(Stats* s, const char* line, size_t len) {
  if (s->first_err[0]) return;
  if (len > sizeof s->first_err - 1) len = sizeof s->first_err - 1;
  for (size_t i = 0; i < len; i++) s->first_err[i] = (line[i] >= 32 && line[i] < 127 && line[i] != '"' && line[i] != '\\') ? line[i] : '?';
  s->first_err[len] = 0;
}

// One reply finished: pop its scheduled time and classify it. kind: 0 ok, 1 shed, 2 error.
static void complete(Conn* c, Stats* s, int kind, int64_t now, int hint_ms) {
  if (c->ring_n == 0) { fprintf(stderr, "overload_gen: reply without a request\n"); exit(2); }
  int64_t sched = c->ring[c->ring_head];
  c->ring_head = (c->ring_head + 1) % (size_t)opt.window;
  c->ring_n--;
  int64_t us = (now - sched) / 1000;
  if (us < 0) us = 0;
  int in_win = now <= end_ns;
  if (kind == 0) { s->ok++; s->ok_win += in_win; lats_add(&s->lat_ok, (uint32_t)us); }
  else if (kind == 1) { s->shed++; s->shed_win += in_win; lats_add(&s->lat_shed, (uint32_t)us); if (hint_ms >= 0) lats_add(&s->hints, (uint32_t)hint_ms); }
  else { s->err++; s->err_win += in_win; }
}

static int starts(const char* p, size_t n, const char* lit) {
  size_t k = strlen(lit);
  return n >= k && memcmp(p, lit, k) == 0;
}

// Parses every complete reply in c->in.
static void parse(Conn* c, Stats* s, int64_t now) {
  Buf* b = &c->in;
  for (;;) {
    char* p = b->p + b->head;
    size_t avail = b->len - b->head;
    char* nl = memmem(p, avail, "\r\n", 2);
    if (!nl) break;
    size_t ll = (size_t)(nl - p);
    if (starts(p, ll, "VALUE ")) {
      // "VALUE key flags bytes [cas]": bytes follows the third space.
      int tok = 0; char* q = p;
      for (size_t i = 0; i < ll; i++) if (p[i] == ' ' && ++tok == 3) { q = p + i + 1; break; }
      size_t bytes = strtoull(q, NULL, 10);
      if (avail < ll + 2 + bytes + 2) break;
      b->head += ll + 2 + bytes + 2;
      c->in_value = 1;
      continue;
    }
    b->head += ll + 2;
    if (starts(p, ll, "END")) { if (!c->in_value) s->misses++; c->in_value = 0; complete(c, s, 0, now, -1); }
    else if (starts(p, ll, "STORED")) complete(c, s, 0, now, -1);
    else if (starts(p, ll, "SERVER_ERROR busy")) {
      int hint = -1;
      char* r = memmem(p, ll, "retry in ", 9);
      if (r) hint = atoi(r + 9);
      complete(c, s, 1, now, hint);
    } else { record_err(s, p, ll); complete(c, s, 2, now, -1); }
  }
}

static void kill_conn(Conn* c, Stats* s, const char* why) {
  if (c->dead) return;
  c->dead = 1;
  s->conn_errors += c->ring_n;
  if (!s->first_err[0]) snprintf(s->first_err, sizeof s->first_err, "connection: %s", why);
  c->ring_n = 0;
  c->out.head = c->out.len = 0;
}

static void flush_out(Conn* c, Stats* s) {
  while (!c->dead && c->out.len > c->out.head) {
    ssize_t n = send(c->fd, c->out.p + c->out.head, c->out.len - c->out.head, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) { c->out.head += (size_t)n; continue; }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    kill_conn(c, s, n == 0 ? "send returned 0" : strerror(errno));
  }
}

static void read_in(Conn* c, Stats* s, int64_t now) {
  for (int rounds = 0; rounds < 64 && !c->dead; rounds++) {
    buf_reserve(&c->in, 65536);
    ssize_t n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, MSG_DONTWAIT);
    if (n > 0) { c->in.len += (size_t)n; parse(c, s, now); if ((size_t)n < 65536) return; continue; }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    kill_conn(c, s, n == 0 ? "closed by server" : strerror(errno));
  }
}

typedef struct {
  int id;
  Conn* conns;
  int nconns;
  Stats st;
} Worker;

static void* run_worker(void* arg) {
  Worker* w = arg;
  Stats* s = &w->st;
  int ep = epoll_create1(0);
  for (int i = 0; i < w->nconns; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->conns[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, w->conns[i].fd, &ev);
  }
  struct epoll_event evs[256];
  for (;;) {
    int64_t now = now_ns();
    int busy = 0;
    for (int i = 0; i < w->nconns; i++) {
      Conn* c = &w->conns[i];
      if (c->dead) continue;
      int64_t t = now < end_ns ? now : end_ns;
      uint64_t due = t > t0_ns ? (uint64_t)((double)(t - t0_ns) * 1e-9 * c->rate) : 0;
      uint64_t total = (uint64_t)(opt.duration * c->rate);
      if (due > total) due = total;
      while (c->scheduled < due) {
        if (c->ring_n == (size_t)opt.window) { s->unsent += due - c->scheduled; c->scheduled = due; break; }
        int64_t sched = t0_ns + (int64_t)((double)c->scheduled / c->rate * 1e9);
        c->ring[(c->ring_head + c->ring_n) % (size_t)opt.window] = sched;
        c->ring_n++;
        c->scheduled++;
        s->sent++;
        uint64_t r = xorshift(&c->rng);
        int is_set = (double)(r >> 11) * (1.0 / 9007199254740992.0) < opt.set_ratio;
        uint64_t key = xorshift(&c->rng) % (uint64_t)opt.keys;
        append_request(c, key, is_set);
      }
      flush_out(c, s);
      if (c->ring_n) busy = 1;
    }
    if (now >= deadline_ns) break;
    if (now >= end_ns && !busy) break;
    // A 100 us tick: requests fall due between ticks and are sent at the next one, so the
    // generator adds at most ~100 us (about 50 us on average) to the measured latency.
    struct timespec tick = {0, 100000};
    int n = epoll_pwait2(ep, evs, 256, &tick, NULL);
    now = now_ns();
    for (int i = 0; i < n; i++) read_in(evs[i].data.ptr, s, now);
  }
  for (int i = 0; i < w->nconns; i++) {
    Conn* c = &w->conns[i];
    s->scheduled += c->scheduled;
    if (!c->dead) s->timeouts += c->ring_n;
  }
  close(ep);
  return NULL;
}

// --preload: one connection stores keys 0..keys-1, pipelined 1000 at a time.
static int preload(void) {
  int fd = connect_one();
  Conn c = {.fd = fd};
  Stats s = {0};
  opt.window = 1 << 20;
  c.ring = calloc((size_t)opt.window, sizeof(int64_t));
  end_ns = deadline_ns = now_ns() + 60 * 1000000000LL;
  for (int k = 0; k < opt.keys;) {
    int batch = 0;
    for (; batch < 1000 && k < opt.keys; batch++, k++) {
      append_request(&c, (uint64_t)k, 1);
      c.ring[(c.ring_head + c.ring_n++) % (size_t)opt.window] = now_ns();
    }
    while (c.out.len > c.out.head && !c.dead) {
      ssize_t n = send(fd, c.out.p + c.out.head, c.out.len - c.out.head, MSG_NOSIGNAL);
      if (n <= 0) { kill_conn(&c, &s, "send"); break; }
      c.out.head += (size_t)n;
    }
    while (c.ring_n && !c.dead) {
      if (now_ns() > deadline_ns) { fprintf(stderr, "overload_gen: preload timed out\n"); return 1; }
      buf_reserve(&c.in, 65536);
      ssize_t n = recv(fd, c.in.p + c.in.len, c.in.cap - c.in.len, 0);
      if (n <= 0) { kill_conn(&c, &s, "recv"); break; }
      c.in.len += (size_t)n;
      parse(&c, &s, now_ns());
    }
  }
  close(fd);
  printf("{\"preloaded\": %d, \"stored\": %llu, \"errors\": %llu, \"busy\": %llu}\n", opt.keys,
         (unsigned long long)s.ok, (unsigned long long)(s.err + s.conn_errors), (unsigned long long)s.shed);
  return s.ok == (uint64_t)opt.keys ? 0 : 1;
}

// --sink PORT: a trivial single-threaded server that answers "get" with "END" and "set" with
// "STORED" (skipping the data block), for measuring the generator's own ceiling. Runs until killed.
static int sink(void) {
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(ls, (struct sockaddr*)&a, sizeof a) != 0 || listen(ls, 1024) != 0) { perror("sink"); return 2; }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      if (!evs[i].data.ptr) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Conn* c = calloc(1, sizeof(Conn));
        c->fd = fd;
        struct epoll_event e2 = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e2);
        continue;
      }
      Conn* c = evs[i].data.ptr;
      buf_reserve(&c->in, 65536);
      ssize_t r = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
      if (r <= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); free(c->in.p); free(c->out.p); free(c); continue; }
      c->in.len += (size_t)r;
      for (;;) {
        char* p = c->in.p + c->in.head;
        size_t avail = c->in.len - c->in.head;
        char* nl = memmem(p, avail, "\r\n", 2);
        if (!nl) break;
        size_t ll = (size_t)(nl - p), need = ll + 2;
        int is_set = starts(p, ll, "set ");
        if (is_set) need += (size_t)opt.vsize + 2;
        if (avail < need) break;
        c->in.head += need;
        buf_reserve(&c->out, 16);
        memcpy(c->out.p + c->out.len, is_set ? "STORED\r\n" : "END\r\n", is_set ? 8 : 5);
        c->out.len += is_set ? 8 : 5;
      }
      while (c->out.len > c->out.head) {
        ssize_t w = send(c->fd, c->out.p + c->out.head, c->out.len - c->out.head, MSG_NOSIGNAL);
        if (w <= 0) break;
        c->out.head += (size_t)w;
      }
    }
  }
}

static int cmp_u32(const void* a, const void* b) {
  uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return x < y ? -1 : x > y;
}

static double pct_ms(Lats* l, double p) {  // nearest-rank percentile of a sorted array, in ms
  if (l->n == 0) return -1;
  size_t i = (size_t)(p / 100.0 * (double)l->n);
  if (i >= l->n) i = l->n - 1;
  return l->v[i] / 1000.0;
}

static void merge_lats(Lats* into, Lats* from) {
  for (size_t i = 0; i < from->n; i++) lats_add(into, from->v[i]);
}

static void usage(void) {
  fprintf(stderr,
          "usage: overload_gen --port P --rate R [--duration S] [--grace S] [--conns N] [--threads T]\n"
          "                    [--keys K] [--vsize V] [--set-ratio F] [--window W]\n"
          "       overload_gen --port P --preload --keys K [--vsize V]   (store every key once)\n"
          "       overload_gen --port P --sink [--vsize V]   (trivial server, for the generator's ceiling)\n");
  exit(2);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--preload")) { opt.preload = 1; continue; }
    if (!strcmp(a, "--sink")) { opt.preload = 2; continue; }
    if (!v) usage();
    i++;
    if (!strcmp(a, "--port")) opt.port = atoi(v);
    else if (!strcmp(a, "--rate")) opt.rate = atof(v);
    else if (!strcmp(a, "--duration")) opt.duration = atof(v);
    else if (!strcmp(a, "--grace")) opt.grace = atof(v);
    else if (!strcmp(a, "--conns")) opt.conns = atoi(v);
    else if (!strcmp(a, "--threads")) opt.threads = atoi(v);
    else if (!strcmp(a, "--keys")) opt.keys = atoi(v);
    else if (!strcmp(a, "--vsize")) opt.vsize = atoi(v);
    else if (!strcmp(a, "--set-ratio")) opt.set_ratio = atof(v);
    else if (!strcmp(a, "--window")) opt.window = atoi(v);
    else usage();
  }
  if (opt.port <= 0 || opt.keys <= 0 || opt.vsize < 0 || opt.conns <= 0 || opt.threads <= 0 ||
      opt.window <= 0 || (opt.preload == 0 && (opt.rate <= 0 || opt.duration <= 0)))
    usage();
  if (opt.threads > opt.conns) opt.threads = opt.conns;
  value_bytes = malloc((size_t)opt.vsize + 1);
  memset(value_bytes, 'x', (size_t)opt.vsize);
  if (opt.preload == 2) return sink();
  if (opt.preload) return preload();

  Conn* conns = calloc((size_t)opt.conns, sizeof(Conn));
  for (int i = 0; i < opt.conns; i++) {
    conns[i].fd = connect_one();
    conns[i].rate = opt.rate / opt.conns;
    conns[i].ring = calloc((size_t)opt.window, sizeof(int64_t));
    conns[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) + (uint64_t)getpid();
  }
  Worker* ws = calloc((size_t)opt.threads, sizeof(Worker));
  int per = opt.conns / opt.threads, extra = opt.conns % opt.threads, at = 0;
  for (int t = 0; t < opt.threads; t++) {
    ws[t].id = t;
    ws[t].conns = conns + at;
    ws[t].nconns = per + (t < extra);
    at += ws[t].nconns;
  }
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  t0_ns = now_ns() + 10 * 1000000LL;
  end_ns = t0_ns + (int64_t)(opt.duration * 1e9);
  deadline_ns = end_ns + (int64_t)(opt.grace * 1e9);
  pthread_t* th = calloc((size_t)opt.threads, sizeof(pthread_t));
  for (int t = 0; t < opt.threads; t++) pthread_create(&th[t], NULL, run_worker, &ws[t]);
  for (int t = 0; t < opt.threads; t++) pthread_join(th[t], NULL);
  int64_t finished = now_ns();
  getrusage(RUSAGE_SELF, &ru1);
  double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;

  Stats all = {0};
  for (int t = 0; t < opt.threads; t++) {
    Stats* s = &ws[t].st;
    all.ok_win += s->ok_win; all.shed_win += s->shed_win; all.err_win += s->err_win;
    all.ok += s->ok; all.shed += s->shed; all.err += s->err; all.misses += s->misses;
    all.scheduled += s->scheduled; all.sent += s->sent; all.unsent += s->unsent;
    all.timeouts += s->timeouts; all.conn_errors += s->conn_errors;
    merge_lats(&all.lat_ok, &s->lat_ok); merge_lats(&all.lat_shed, &s->lat_shed); merge_lats(&all.hints, &s->hints);
    if (!all.first_err[0] && s->first_err[0]) memcpy(all.first_err, s->first_err, sizeof all.first_err);
  }
  qsort(all.lat_ok.v, all.lat_ok.n, sizeof(uint32_t), cmp_u32);
  qsort(all.lat_shed.v, all.lat_shed.n, sizeof(uint32_t), cmp_u32);
  qsort(all.hints.v, all.hints.n, sizeof(uint32_t), cmp_u32);
  double d = opt.duration;
  printf("{\"offered\": %.0f, \"duration\": %.3f, \"conns\": %d, \"threads\": %d, \"window\": %d, "
         "\"scheduled\": %llu, \"sent\": %llu, \"unsent\": %llu, "
         "\"goodput\": %.0f, \"shed_rate\": %.0f, \"err_rate\": %.0f, \"sent_rate\": %.0f, "
         "\"ok\": %llu, \"shed\": %llu, \"err\": %llu, \"misses\": %llu, \"timeouts\": %llu, \"conn_errors\": %llu, "
         "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f, "
         "\"shed_p50_ms\": %.3f, \"shed_p99_ms\": %.3f, \"hint_p50_ms\": %.0f, \"hint_max_ms\": %.0f, "
         "\"gen_cpu_s\": %.3f, \"gen_wall_s\": %.3f, \"first_error\": \"%s\"}\n",
         opt.rate, d, opt.conns, opt.threads, opt.window,
         (unsigned long long)all.scheduled, (unsigned long long)all.sent, (unsigned long long)all.unsent,
         all.ok_win / d, all.shed_win / d, all.err_win / d, all.sent / d,
         (unsigned long long)all.ok, (unsigned long long)all.shed, (unsigned long long)all.err,
         (unsigned long long)all.misses, (unsigned long long)all.timeouts, (unsigned long long)all.conn_errors,
         pct_ms(&all.lat_ok, 50), pct_ms(&all.lat_ok, 90), pct_ms(&all.lat_ok, 99), pct_ms(&all.lat_ok, 99.9),
         all.lat_ok.n ? all.lat_ok.v[all.lat_ok.n - 1] / 1000.0 : -1.0,
         pct_ms(&all.lat_shed, 50), pct_ms(&all.lat_shed, 99),
         all.hints.n ? (double)all.hints.v[all.hints.n / 2] : -1.0, all.hints.n ? (double)all.hints.v[all.hints.n - 1] : -1.0,
         cpu, (finished - t0_ns) * 1e-9, all.first_err);
  for (int i = 0; i < opt.conns; i++) close(conns[i].fd);
  return 0;
}
