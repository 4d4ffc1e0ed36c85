#include "cold/cold_io.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace corecached::cold {

Expected<std::unique_ptr<ColdIo>> ColdIo::Open(const ColdIoOptions& options) {
  Expected<std::unique_ptr<ColdStore>> store =
      ColdStore::Open(options.path, options.map_size_bytes);
  if (!store) {
    return store.error();
  }
  return std::unique_ptr<ColdIo>(new ColdIo(options, std::move(*store)));
}

ColdIo::ColdIo(ColdIoOptions options, std::unique_ptr<ColdStore> store)
    : options_(std::move(options)), store_(std::move(store)) {
  if (options_.run_thread) {
    thread_ = std::thread([this] { ThreadMain(); });
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
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  while (RunQueued() != 0) {
  }
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= options_.max_queued || (stopping_ && options_.run_thread)) {
      return false;
    }
    queue_.push_back(Job{client, std::move(request)});
  }
  cv_.notify_one();
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

bool ColdIo::HasCompletions(ClientId client) const {
  return clients_[client]->ready.load(std::memory_order_acquire) != 0;
}

std::size_t ColdIo::RunQueued() {
  std::vector<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!queue_.empty() && jobs.size() < options_.max_batch) {
      jobs.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (!jobs.empty()) {
    RunBatch(jobs);
  }
  return jobs.size();
}

void ColdIo::ThreadMain() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) {
        return;
      }
    }
    RunQueued();
  }
}

// Runs of consecutive writes share a write transaction; runs of loads share a read transaction.
// Completions keep submission order.
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
      RunLoads(jobs, i, j, done);
    } else {
      RunWrites(jobs, i, j, done);
    }
    i = j;
  }
  Deliver(jobs, done);
}

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
    batch_error = txn.error();
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
      std::error_code ec = txn.error();
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

void ColdIo::RunLoads(std::vector<Job>& jobs, std::size_t begin, std::size_t end,
                      std::vector<ColdCompletion>& out) {
  Expected<Txn> txn = store_->BeginRead();
  for (std::size_t i = begin; i < end; ++i) {
    ColdRequest& r = jobs[i].request;
    ColdCompletion c;
    c.op = r.op;
    c.write_id = r.write_id;
    if (!txn) {
      c.error = txn.error();
    } else {
      Expected<LoadedValue> loaded = store_->Get(*txn, r.key, r.write_id);
      if (loaded) {
        c.loaded = std::move(*loaded);
      } else {
        c.error = loaded.error();
      }
    }
    c.key = std::move(r.key);
    out.push_back(std::move(c));
  }
}

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
