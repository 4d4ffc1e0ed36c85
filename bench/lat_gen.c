// lat_gen: closed-loop latency load for bench/lat4.sh (issue #10, "lat4").
//
// THREADS client threads, each with one connection and one request in flight (the way a web
// app's workers use a cache): 90% get / 10% set (SET_PERCENT), key ranks Zipf(s=0.99) over NKEYS
// keys "lat:NNNNNNNN", values 100..8192 bytes (a function of the key, so each reply's length is
// checked). Reports ops/s and client-side p50/p99/p999 latency as one JSON line.
//
// Written in C rather than with pymemcache: a Python client spends ~40 us of its own per
// request, which would hide the server's latency that this workload exists to measure.
// memcaslap cannot do it either: it keeps no latency percentiles and no Zipf key choice.
//
//   lat_gen load HOST PORT NKEYS
//   lat_gen run HOST PORT NKEYS THREADS SECONDS [SET_PERCENT]
//
// Every loop is bounded by the deadline; every socket has a 5 s timeout. Loopback use only.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_VALUE 8192
#define HIST_US 200000  // 1 us buckets up to 200 ms; slower requests land in the last bucket

static const char* g_host;
static int g_port;
static int g_nkeys;
static int g_seconds;
static int g_set_percent = 10;
static double* g_zipf_cum;  // cumulative Zipf weights, normalised to 1

typedef struct {
  int id;
  uint64_t ops, gets, sets, misses, errors;
  uint32_t* hist;
} worker_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int size_of(int i) { return 100 + (int)(((uint64_t)i * 2654435761u) % (MAX_VALUE - 99)); }

static void value_of(int i, char* out, int n) {
  char head[32];
  int hl = snprintf(head, sizeof head, "lat:%08d|", i);
  for (int p = 0; p < n; p++) out[p] = head[p % hl];
}

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)g_port);
  inet_pton(AF_INET, g_host, &a.sin_addr);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("connect");
    exit(2);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

static int send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

// A small reply reader: buffered, one connection.
typedef struct {
  int fd;
  char buf[2 * MAX_VALUE + 256];
  size_t len, pos;
} reader_t;

static int fill(reader_t* r) {
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len == sizeof r->buf) return -1;
  ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
  if (n <= 0) return -1;
  r->len += (size_t)n;
  return 0;
}

// Returns the length of the next line (without "\r\n") at r->buf + r->pos, or -1.
static long line(reader_t* r) {
  for (;;) {
    char* nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
    if (nl != NULL) return (long)(nl - (r->buf + r->pos)) - 1;
    if (fill(r) != 0) return -1;
  }
}

static int need(reader_t* r, size_t n) {
  while (r->len - r->pos < n) {
    if (fill(r) != 0) return -1;
  }
  return 0;
}

// Reads a get reply; 1 hit (length checked), 0 miss, -1 error.
static int read_get(reader_t* r, int expect_len) {
  long n = line(r);
  if (n < 0) return -1;
  if (n == 3 && memcmp(r->buf + r->pos, "END", 3) == 0) {
    r->pos += 5;
    return 0;
  }
  if (n < 6 || memcmp(r->buf + r->pos, "VALUE ", 6) != 0) return -1;
  const char* last = memrchr(r->buf + r->pos, ' ', (size_t)n);
  int bytes = atoi(last + 1);
  r->pos += (size_t)n + 2;
  if (need(r, (size_t)bytes + 2 + 5) != 0) return -1;
  r->pos += (size_t)bytes + 2;
  if (memcmp(r->buf + r->pos, "END\r\n", 5) != 0) return -1;
  r->pos += 5;
  return bytes == expect_len ? 1 : -1;
}

static int read_stored(reader_t* r) {
  long n = line(r);
  if (n < 0) return -1;
  int ok = n == 6 && memcmp(r->buf + r->pos, "STORED", 6) == 0;
  r->pos += (size_t)n + 2;
  return ok ? 0 : -1;
}

static int format_set(char* out, int i) {
  int n = size_of(i);
  int hl = sprintf(out, "set lat:%08d 0 0 %d\r\n", i, n);
  value_of(i, out + hl, n);
  memcpy(out + hl + n, "\r\n", 2);
  return hl + n + 2;
}

static void cmd_load(void) {
  int fd = dial();
  reader_t* r = calloc(1, sizeof *r);
  r->fd = fd;
  char* req = malloc(MAX_VALUE + 128);
  for (int i = 0; i < g_nkeys; i++) {
    int n = format_set(req, i);
    if (send_all(fd, req, (size_t)n) != 0 || read_stored(r) != 0) {
      fprintf(stderr, "load failed at key %d\n", i);
      exit(1);
    }
  }
  printf("{\"loaded\": %d}\n", g_nkeys);
  close(fd);
  free(req);
  free(r);
}

static void build_zipf(void) {
  g_zipf_cum = malloc(sizeof(double) * (size_t)g_nkeys);
  double sum = 0;
  for (int i = 0; i < g_nkeys; i++) {
    sum += 1.0 / pow((double)(i + 1), 0.99);
    g_zipf_cum[i] = sum;
  }
  for (int i = 0; i < g_nkeys; i++) g_zipf_cum[i] /= sum;
}

static int zipf_pick(unsigned* seed) {
  double u = (double)rand_r(seed) / ((double)RAND_MAX + 1.0);
  int lo = 0, hi = g_nkeys - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (g_zipf_cum[mid] < u) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  // Scatter ranks over the key space so hot keys do not share a shard by accident.
  return (int)(((uint64_t)lo * 2654435761u) % (uint64_t)g_nkeys);
}

static void* run_worker(void* arg) {
  worker_t* w = arg;
  int fd = dial();
  reader_t* r = calloc(1, sizeof *r);
  r->fd = fd;
  char* req = malloc(MAX_VALUE + 128);
  unsigned seed = 0x5eed0000u + (unsigned)w->id;
  const double deadline = now_s() + g_seconds;
  while (now_s() < deadline) {
    int i = zipf_pick(&seed);
    int is_set = (rand_r(&seed) % 100) < g_set_percent;
    int n = is_set ? format_set(req, i) : sprintf(req, "get lat:%08d\r\n", i);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = send_all(fd, req, (size_t)n);
    if (rc == 0) rc = is_set ? read_stored(r) : read_get(r, size_of(i));
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc < 0) {
      w->errors++;
      break;  // a broken stream cannot be resynchronised
    }
    long us = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000L;
    w->hist[us < HIST_US ? us : HIST_US - 1]++;
    w->ops++;
    if (is_set) {
      w->sets++;
    } else {
      w->gets++;
      if (rc == 0) w->misses++;
    }
  }
  close(fd);
  free(req);
  free(r);
  return NULL;
}

static long percentile(const uint64_t* hist, uint64_t total, double p) {
  uint64_t want = (uint64_t)ceil(p * (double)total), seen = 0;
  for (long us = 0; us < HIST_US; us++) {
    seen += hist[us];
    if (seen >= want && want > 0) return us;
  }
  return HIST_US;
}

static void cmd_run(int threads) {
  build_zipf();
  worker_t* ws = calloc((size_t)threads, sizeof *ws);
  pthread_t* ts = calloc((size_t)threads, sizeof *ts);
  double start = now_s();
  for (int t = 0; t < threads; t++) {
    ws[t].id = t;
    ws[t].hist = calloc(HIST_US, sizeof(uint32_t));
    pthread_create(&ts[t], NULL, run_worker, &ws[t]);
  }
  uint64_t* hist = calloc(HIST_US, sizeof(uint64_t));
  uint64_t ops = 0, gets = 0, sets = 0, misses = 0, errors = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(ts[t], NULL);
    for (long us = 0; us < HIST_US; us++) hist[us] += ws[t].hist[us];
    ops += ws[t].ops;
    gets += ws[t].gets;
    sets += ws[t].sets;
    misses += ws[t].misses;
    errors += ws[t].errors;
  }
  double elapsed = now_s() - start;
  printf(
      "{\"ops\": %llu, \"ops_per_s\": %.0f, \"p50_us\": %ld, \"p99_us\": %ld, \"p999_us\": %ld, "
      "\"gets\": %llu, \"sets\": %llu, \"misses\": %llu, \"errors\": %llu, \"seconds\": %.2f}\n",
      (unsigned long long)ops, (double)ops / elapsed, percentile(hist, ops, 0.50),
      percentile(hist, ops, 0.99), percentile(hist, ops, 0.999), (unsigned long long)gets,
      (unsigned long long)sets, (unsigned long long)misses, (unsigned long long)errors, elapsed);
}

int main(int argc, char** argv) {
  if (argc >= 5 && strcmp(argv[1], "load") == 0) {
    g_host = argv[2];
    g_port = atoi(argv[3]);
    g_nkeys = atoi(argv[4]);
    cmd_load();
    return 0;
  }
  if (argc >= 7 && strcmp(argv[1], "run") == 0) {
    g_host = argv[2];
    g_port = atoi(argv[3]);
    g_nkeys = atoi(argv[4]);
    g_seconds = atoi(argv[6]);
    if (argc >= 8) g_set_percent = atoi(argv[7]);
    if (g_nkeys <= 0 || g_seconds <= 0 || g_seconds > 600) {
      fprintf(stderr, "bad NKEYS or SECONDS\n");
      return 2;
    }
    cmd_run(atoi(argv[5]));
    return 0;
  }
  fprintf(stderr,
          "usage: lat_gen load HOST PORT NKEYS | run HOST PORT NKEYS THREADS SECONDS "
          "[SET_PERCENT]\n");
  return 2;
}
