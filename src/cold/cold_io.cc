#include "cold/cold_io.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/thread_name.h"

namespace corecached::cold {

Expected<std::unique_ptr<ColdIo>> ColdIo::Open(const ColdIoOptions& options) {
  Expected<std::unique_ptr<ColdStore>> store =
      ColdStore::Open(options.path, options.map_size_bytes);
  if (!store) {
    return store.Error();
  }
  return std::unique_ptr<ColdIo>(new ColdIo(options, std::move(*store)));
}

ColdIo::ColdIo(ColdIoOptions options, std::unique_ptr<ColdStore> store)
    : options_(std::move(options)), store_(std::move(store)) {
  const std::size_t readers = std::max<std::size_t>(1, options_.reader_threads);
  loads_per_reader_ = std::make_unique<std::atomic<uint64_t>[]>(readers);
  if (options_.run_thread) {
    writer_ = std::thread([this] { WriterMain(); });
    for (std::size_t r = 0; r < readers; ++r) {
      readers_.emplace_back([this, r] { ReaderMain(r); });
    }
  }
}

ColdIo::~ColdIo() {
  const std::size_t clients = client_count_.load(std::memory_order_acquire);
  for (std::size_t c = 0; c < clients; ++c) {
    DetachClient(static_cast<ClientId>(c));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  writes_cv_.notify_all();
  loads_cv_.notify_all();
  linger_cv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  for (std::thread& reader : readers_) {
    reader.join();
  }
  while (RunQueued() != 0) {
  }
  ReleaseHeldLoads();
}

ColdIo::ClientId ColdIo::AddClient(std::function<void()> wake) {
  const std::size_t id = client_count_.load(std::memory_order_relaxed);
  if (id >= kMaxClients) {
    std::fputs("corecached: cold tier: too many clients\n", stderr);
    std::abort();
  }
  clients_[id] = std::make_unique<Client>();
  clients_[id]->wake = std::move(wake);
  client_count_.store(id + 1, std::memory_order_release);
  return static_cast<ClientId>(id);
}

void ColdIo::DetachClient(ClientId client) {
  Client& c = *clients_[client];
  std::lock_guard<std::mutex> lock(c.mu);
  c.wake = nullptr;
}

bool ColdIo::Submit(ClientId client, ColdRequest& request) {
  const bool load = request.op == ColdOp::kLoad;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::deque<Job>& queue = load ? loads_ : writes_;
    if (queue.size() >= options_.max_queued || (stopping_ && options_.run_thread)) {
      return false;
    }
    queue.push_back(Job{client, next_seq_++, false, std::move(request)});
  }
  (load ? loads_cv_ : writes_cv_).notify_one();
  return true;
}

void ColdIo::HurryWrites() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hurry_ = true;
  }
  linger_cv_.notify_one();
}

bool ColdIo::SubmitLoads(ClientId client, std::vector<ColdRequest>& loads) {
  if (loads.empty()) {
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (loads_.size() + loads.size() > options_.max_queued || (stopping_ && options_.run_thread)) {
      return false;
    }
    for (std::size_t i = 0; i < loads.size(); ++i) {
      // A batch ends at the last load or every kMaxLoadBatch loads.
      const bool last = i + 1 == loads.size() || (i + 1) % kMaxLoadBatch == 0;
      loads_.push_back(Job{client, next_seq_++, !last, std::move(loads[i])});
    }
  }
  if (loads.size() > kMaxLoadBatch) {
    loads_cv_.notify_all();
  } else {
    loads_cv_.notify_one();
  }
  loads.clear();
  return true;
}

std::size_t ColdIo::Drain(ClientId client, std::vector<ColdCompletion>& out) {
  Client& c = *clients_[client];
  if (c.ready.load(std::memory_order_acquire) == 0) {
    return 0;
  }
  std::lock_guard<std::mutex> lock(c.mu);
  const std::size_t n = c.done.size();
  for (ColdCompletion& done : c.done) {
    out.push_back(std::move(done));
  }
  c.done.clear();
  c.ready.store(0, std::memory_order_release);
  return n;
}

namespace {

// A fresh snapshot in `txn` (renewed, or begun when it has none); false when none can be had.
bool Snapshot(ColdStore& store, Txn& txn) {
  if (txn.Get() != nullptr && txn.Renew()) {
    txn.Abort();
  }
  if (txn.Get() == nullptr) {
    Expected<Txn> fresh = store.BeginRead();
    if (!fresh) {
      return false;
    }
    txn = std::move(*fresh);
  }
  return true;
}

}  // namespace

bool ColdIo::IsResident(Txn& txn, const std::string& key, uint64_t write_id) {
  if (!options_.inline_loads || !Snapshot(*store_, txn)) {
    return false;
  }
  const bool resident = store_->IsResident(txn, key, write_id);
  txn.Reset();
  return resident;
}

std::optional<LoadedValue> ColdIo::LoadResident(Txn& txn, const std::string& key,
                                                uint64_t write_id) {
  if (!options_.inline_loads || !Snapshot(*store_, txn)) {
    return std::nullopt;
  }
  Expected<LoadedValue> loaded = store_->Get(txn, key, write_id, /*only_resident=*/true);
  txn.Reset();
  if (!loaded) {
    return std::nullopt;
  }
  return std::move(*loaded);
}

bool ColdIo::HasCompletions(ClientId client) const {
  return clients_[client]->ready.load(std::memory_order_acquire) != 0;
}

std::vector<uint64_t> ColdIo::LoadsPerReader() const {
  std::vector<uint64_t> out(std::max<std::size_t>(1, options_.reader_threads));
  for (std::size_t r = 0; r < out.size(); ++r) {
    out[r] = loads_per_reader_[r].load(std::memory_order_relaxed);
  }
  return out;
}

// ---- Manual mode ------------------------------------------------------------------------------

std::size_t ColdIo::RunQueued() {
  std::vector<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (jobs.size() < options_.max_batch && !(writes_.empty() && loads_.empty())) {
      const bool write =
          loads_.empty() || (!writes_.empty() && writes_.front().seq < loads_.front().seq);
      std::deque<Job>& from = write ? writes_ : loads_;
      jobs.push_back(std::move(from.front()));
      from.pop_front();
    }
  }
  if (!jobs.empty()) {
    RunBatch(jobs);
  }
  return jobs.size();
}

std::size_t ColdIo::RunQueuedWrites() {
  std::vector<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.assign(std::make_move_iterator(writes_.begin()), std::make_move_iterator(writes_.end()));
    writes_.clear();
  }
  if (!jobs.empty()) {
    RunBatch(jobs);
  }
  return jobs.size();
}

std::size_t ColdIo::RunQueuedLoads(bool hold_loads) {
  std::vector<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.assign(std::make_move_iterator(loads_.begin()), std::make_move_iterator(loads_.end()));
    loads_.clear();
  }
  if (jobs.empty()) {
    return 0;
  }
  std::vector<ColdCompletion> done;
  Txn txn;
  RunLoads(txn, 0, jobs, 0, jobs.size(), done);
  if (!hold_loads) {
    Deliver(jobs, done);
    return jobs.size();
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    held_jobs_.push_back(std::move(jobs[i]));
    held_done_.push_back(std::move(done[i]));
  }
  return jobs.size();
}

void ColdIo::ReleaseHeldLoads() {
  std::vector<Job> jobs;
  std::vector<ColdCompletion> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.swap(held_jobs_);
    done.swap(held_done_);
  }
  if (!jobs.empty()) {
    Deliver(jobs, done);
  }
}

// Runs of consecutive writes share a write transaction; runs of loads share a read snapshot.
// Completions keep the order of `jobs`.
void ColdIo::RunBatch(std::vector<Job>& jobs) {
  std::vector<ColdCompletion> done;
  done.reserve(jobs.size());
  std::size_t i = 0;
  while (i < jobs.size()) {
    const bool load = jobs[i].request.op == ColdOp::kLoad;
    std::size_t j = i;
    while (j < jobs.size() && (jobs[j].request.op == ColdOp::kLoad) == load) {
      ++j;
    }
    if (load) {
      Txn txn;
      RunLoads(txn, 0, jobs, i, j, done);
    } else {
      RunWrites(jobs, i, j, done);
    }
    i = j;
  }
  Deliver(jobs, done);
}

// ---- Threads ----------------------------------------------------------------------------------

bool ColdIo::Take(std::deque<Job>& queue, std::condition_variable& cv, std::size_t max,
                  std::vector<Job>& jobs) {
  jobs.clear();
  std::unique_lock<std::mutex> lock(mu_);
  cv.wait(lock, [&] { return stopping_ || !queue.empty(); });
  if (queue.empty()) {
    return false;  // stopping, and everything queued has run
  }
  while (!queue.empty() && jobs.size() < max) {
    jobs.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  const bool more = !queue.empty();
  lock.unlock();
  if (more) {
    cv.notify_one();  // another thread of the pool takes the rest
  }
  return true;
}

bool ColdIo::TakeLoads(std::vector<Job>& jobs) {
  jobs.clear();
  std::unique_lock<std::mutex> lock(mu_);
  loads_cv_.wait(lock, [&] { return stopping_ || !loads_.empty(); });
  if (loads_.empty()) {
    return false;
  }
  while (!loads_.empty() && jobs.size() < kLoadsPerRound) {
    bool more_of_batch = true;
    while (more_of_batch && !loads_.empty()) {
      more_of_batch = loads_.front().batch_continues;
      jobs.push_back(std::move(loads_.front()));
      loads_.pop_front();
    }
  }
  const bool more = !loads_.empty();
  lock.unlock();
  if (more) {
    loads_cv_.notify_one();  // another reader takes the rest
  }
  return true;
}

void ColdIo::TakeMoreWrites(std::size_t max, std::vector<Job>& jobs) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!writes_.empty() && jobs.size() < max) {
    jobs.push_back(std::move(writes_.front()));
    writes_.pop_front();
  }
}

void ColdIo::WriterMain() {
  core::NameThisThread("cc-cold-writer");
  std::vector<Job> jobs;
  std::vector<ColdCompletion> done;
  while (Take(writes_, writes_cv_, options_.max_batch, jobs)) {
    if (options_.write_linger.count() > 0 && jobs.size() < options_.max_batch) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        linger_cv_.wait_for(lock, options_.write_linger, [this] { return stopping_ || hurry_; });
        hurry_ = false;
      }
      TakeMoreWrites(options_.max_batch, jobs);  // later submissions: the order is kept
    }
    if (options_.before_round_for_test) {
      options_.before_round_for_test(ColdOp::kPut, jobs.size());
    }
    done.clear();
    std::size_t bytes = 0;
    for (const Job& job : jobs) {
      bytes += job.request.record.size();
    }
    const auto started = std::chrono::steady_clock::now();
    RunWrites(jobs, 0, jobs.size(), done);
    MeasureWrites(bytes, std::chrono::steady_clock::now() - started);
    Deliver(jobs, done);
  }
}

// Small batches (erases, a trickle of puts) say more about latency than throughput: skipped.
void ColdIo::MeasureWrites(std::size_t bytes, std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  if (bytes < kMinMeasuredBatchBytes || seconds <= 0) {
    return;
  }
  const double rate = static_cast<double>(bytes) / seconds;
  const auto old = static_cast<double>(write_bytes_per_s_.load(std::memory_order_relaxed));
  const double next = old == 0 ? rate : 0.8 * old + 0.2 * rate;
  write_bytes_per_s_.store(static_cast<uint64_t>(next), std::memory_order_relaxed);
}

// One read Txn for the thread's life: renewed for each round (the newest snapshot, so every write
// committed before the load was submitted is seen), reset after it (no old snapshot pins pages).
void ColdIo::ReaderMain(std::size_t reader) {
  core::NameThisThread("cc-cold-reader");
  Txn txn;
  std::vector<Job> jobs;
  std::vector<ColdCompletion> done;
  while (TakeLoads(jobs)) {
    if (options_.before_round_for_test) {
      options_.before_round_for_test(ColdOp::kLoad, jobs.size());
    }
    done.clear();
    RunLoads(txn, reader, jobs, 0, jobs.size(), done);
    Deliver(jobs, done);
  }
}

// ---- Work -------------------------------------------------------------------------------------

std::error_code ColdIo::ApplyWrite(Txn& txn, const ColdRequest& r) {
  switch (r.op) {
    case ColdOp::kPut:
      return store_->Put(txn, r.key, r.record);
    case ColdOp::kErase:
      return store_->Erase(txn, r.key);
    case ColdOp::kSetExptime:
      return store_->SetExptime(txn, r.key, r.write_id, r.exptime);
    case ColdOp::kLoad:
      break;
  }
  return {};
}

// One transaction for the run. LMDB leaves a transaction unusable after a failed put (a full map),
// so on any failure the run is redone one request per transaction: only the requests that really
// fail report an error (erases free space even when puts no longer fit).
void ColdIo::RunWrites(std::vector<Job>& jobs, std::size_t begin, std::size_t end,
                       std::vector<ColdCompletion>& out) {
  std::vector<std::error_code> errors(end - begin);
  std::error_code batch_error;
  {
    Expected<Txn> txn = store_->BeginWrite();
    batch_error = txn.Error();
    for (std::size_t i = begin; !batch_error && i < end; ++i) {
      batch_error = ApplyWrite(*txn, jobs[i].request);
    }
    if (!batch_error) {
      batch_error = txn->Commit();
    }
  }
  if (batch_error) {
    for (std::size_t i = begin; i < end; ++i) {
      Expected<Txn> txn = store_->BeginWrite();
      std::error_code ec = txn.Error();
      if (!ec) {
        ec = ApplyWrite(*txn, jobs[i].request);
      }
      if (!ec) {
        ec = txn->Commit();
      }
      errors[i - begin] = ec;
    }
  }
  for (std::size_t i = begin; i < end; ++i) {
    ColdRequest& r = jobs[i].request;
    ColdCompletion c;
    c.op = r.op;
    c.key = std::move(r.key);
    c.write_id = r.write_id;
    c.record_bytes = r.record.size();
    c.error = errors[i - begin];
    out.push_back(std::move(c));
  }
}

void ColdIo::RunLoads(Txn& txn, std::size_t reader, std::vector<Job>& jobs, std::size_t begin,
                      std::size_t end, std::vector<ColdCompletion>& out) {
  std::error_code txn_error;
  if (txn.Get() != nullptr && txn.Renew()) {
    txn.Abort();  // a handle that cannot be renewed is dropped; a new one is begun below
  }
  if (txn.Get() == nullptr) {
    Expected<Txn> fresh = store_->BeginRead();
    if (fresh) {
      txn = std::move(*fresh);
    } else {
      txn_error = fresh.Error();
    }
  }
  for (std::size_t i = begin; i < end; ++i) {
    ColdRequest& r = jobs[i].request;
    ColdCompletion c;
    c.op = r.op;
    c.write_id = r.write_id;
    if (txn_error) {
      c.error = txn_error;
    } else {
      Expected<LoadedValue> loaded = store_->Get(txn, r.key, r.write_id);
      if (loaded) {
        c.loaded = std::move(*loaded);
      } else {
        c.error = loaded.Error();
      }
    }
    c.key = std::move(r.key);
    out.push_back(std::move(c));
  }
  txn.Reset();
  loads_per_reader_[reader].fetch_add(end - begin, std::memory_order_relaxed);
  load_rounds_.fetch_add(1, std::memory_order_relaxed);
}

// Several threads deliver at once; each takes the client's lock, so a client's list and its wake
// function are only ever used by one of them at a time.
void ColdIo::Deliver(std::vector<Job>& jobs, std::vector<ColdCompletion>& done) {
  const std::size_t clients = client_count_.load(std::memory_order_acquire);
  std::vector<bool> touched(clients, false);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    Client& c = *clients_[jobs[i].client];
    std::lock_guard<std::mutex> lock(c.mu);
    c.done.push_back(std::move(done[i]));
    c.ready.store(c.done.size(), std::memory_order_release);
    touched[jobs[i].client] = true;
  }
  // The wake runs under the client's lock, so DetachClient never returns while it runs.
  for (std::size_t c = 0; c < clients; ++c) {
    if (touched[c]) {
      std::lock_guard<std::mutex> lock(clients_[c]->mu);
      if (clients_[c]->wake) {
        clients_[c]->wake();
      }
    }
  }
}

}  // namespace corecached::cold
