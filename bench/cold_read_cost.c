// What one inline cold read costs in CPU, by way of reading the record (issue #14, part 7 of
// bench/RESULTS-cold.md): random mdb_get over every key of a cold tier's LMDB environment (a
// read transaction renewed and reset around each, as the shards do), then
//   touch:        the record's first byte only (the B-tree walk alone),
//   mincore+copy: mincore(2) over the record's pages, then a copy from the map (before ffa2599),
//   preadv2:      a record on its own (overflow) pages read with one preadv2(RWF_NOWAIT), a record
//                 inside its leaf copied from the map (since ffa2599),
//   copy:         a copy from the map, unchecked (the floor).
// CPU time of the process (CLOCK_PROCESS_CPUTIME_ID), so a busy box's waits are not counted; run
// it beside a load (bench/cold_prof.sh's, or coldload.py's run) to see the costs under contention.
//   cc -O2 -o /tmp/cold_read_cost bench/cold_read_cost.c -llmdb
//   /tmp/cold_read_cost LMDB_DIR [READS]      (LMDB_DIR: a stopped server's --cold-tier-path)
#define _GNU_SOURCE
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s LMDB_DIR [READS]\n", argv[0]);
    return 2;
  }
  const int reads = argc > 2 ? atoi(argv[2]) : 100000;
  MDB_env* env = NULL;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, (size_t)1 << 30);
  mdb_env_set_maxreaders(env, 126);
  int rc = mdb_env_open(env, argv[1], MDB_NOTLS | MDB_NOSYNC | MDB_NORDAHEAD | MDB_RDONLY, 0600);
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", argv[1], mdb_strerror(rc));
    return 1;
  }
  MDB_txn* txn = NULL;
  MDB_dbi dbi = 0;
  mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  mdb_dbi_open(txn, NULL, 0, &dbi);
  MDB_stat st;
  mdb_stat(txn, dbi, &st);
  size_t n = 0;
  char** keys = malloc(sizeof(char*) * st.ms_entries);
  size_t* key_sizes = malloc(sizeof(size_t) * st.ms_entries);
  MDB_cursor* cursor = NULL;
  mdb_cursor_open(txn, dbi, &cursor);
  MDB_val k, v;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0 && n < st.ms_entries;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    keys[n] = malloc(k.mv_size);
    memcpy(keys[n], k.mv_data, k.mv_size);
    key_sizes[n++] = k.mv_size;
  }
  mdb_cursor_close(cursor);
  mdb_txn_reset(txn);
  if (n == 0) {
    fprintf(stderr, "%s: no records\n", argv[1]);
    return 1;
  }
  printf("%zu records, depth %u, %zu branch / %zu leaf / %zu overflow pages\n", n, st.ms_depth,
         st.ms_branch_pages, st.ms_leaf_pages, st.ms_overflow_pages);
  // The map's address, found as ColdStore finds it, in /proc/self/maps (the one mapping of
  // data.mdb here); a record on its own pages starts right after a 16-byte page header.
  uintptr_t map = 0;
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
    if (strstr(line, "/data.mdb") != NULL) {
      map = (uintptr_t)strtoull(line, NULL, 16);
      break;
    }
  }
  if (maps != NULL)
    fclose(maps);
  int fd = -1;
  mdb_env_get_fd(env, &fd);
  static char buf[1 << 20];
  static const char* names[] = {"touch", "mincore+copy", "preadv2", "copy"};
  double total[4] = {0, 0, 0, 0};
  volatile long sink = 0;
  srand(1);
  for (int pass = 0; pass < 4; ++pass) {
    for (int way = 0; way < 4; ++way) {
      const double t0 = cpu_seconds();
      for (int i = 0; i < reads; ++i) {
        const size_t j = (size_t)rand() % n;
        mdb_txn_renew(txn);
        k.mv_data = keys[j];
        k.mv_size = key_sizes[j];
        if (mdb_get(txn, dbi, &k, &v) != 0) {
          mdb_txn_reset(txn);
          continue;
        }
        const size_t size = v.mv_size < sizeof(buf) ? v.mv_size : sizeof(buf);
        const uintptr_t at = (uintptr_t)v.mv_data;
        if (way == 0) {
          sink += ((const char*)v.mv_data)[0];
        } else if (way == 1) {
          unsigned char vec[256];
          const uintptr_t page = at & ~(uintptr_t)4095;
          mincore((void*)page, (at + size - page + 4095) & ~(uintptr_t)4095, vec);
          memcpy(buf, v.mv_data, size);
        } else if (way == 2 && map != 0 && (at - map) % 4096 == 16) {
          struct iovec part = {buf, size};
          sink += preadv2(fd, &part, 1, (off_t)(at - map), RWF_NOWAIT);
        } else {
          memcpy(buf, v.mv_data, size);
        }
        mdb_txn_reset(txn);
      }
      total[way] += cpu_seconds() - t0;
    }
  }
  for (int way = 0; way < 4; ++way) {
    printf("%-13s %.2f us of CPU per read\n", names[way], total[way] / 4 / reads * 1e6);
  }
  return 0;
}
