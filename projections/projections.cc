#include "projections/projections.h"

#include <future>

#include "ledger/ledger.h"
#include "ledger/domain/privacy.h"
#include "ledger/domain/report.h"
#include "ledger/registry.h"
#include "ledger/util/encoding.h"
#include "projections/cert_view.h"

namespace certledger::projections {

using nlohmann::json;

uint64_t Projection::applied_position(const store::EventStore& s) const {
  auto v = s.get(column_families().front(), kAppliedKey);
  return v && v->size() == 8 ? get_be64(*v) : 0;
}

void Projection::mark_applied(store::BatchWriter& w, uint64_t position) const {
  w.put(column_families().front(), kAppliedKey, be64(position));
}

std::string holder_key(std::string_view holder_id) {
  return hash_bytes(sha256_parts({"certledger-holder:", holder_id}));
}

std::string sealed_holder(std::string_view ref) { return "ref:" + std::string(ref); }

namespace {

std::string token_value(std::string_view id, uint32_t version) {
  std::string v(id);
  put_be32(v, version);
  return v;
}

std::string number_key(std::string_view kind, std::string_view number, std::string_view authority) {
  std::string k(kind);
  k += '\0';
  k += number;
  k += '\0';
  k += authority;
  return k;
}

std::string holder_index_key(std::string_view holder, std::string_view id) {
  return holder_key(holder) + std::string(id);
}

std::string holder_of(const domain::CertificateState& s) {
  // A sealed holder is indexed by its reference, never by its ID number.
  if (!s.holder.empty()) return sealed_holder(s.holder);
  const auto* kind = domain::find_kind(s.kind);
  if (!kind) return {};
  auto it = s.fields.find(std::string(kind->holder_id_field));
  return it != s.fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Status CertificatesProjection::apply(const domain::Record& se, store::BatchWriter& w) {
  const domain::Event& e = se.event;
  if (!map_loaded_) {
    // No group is in flight here (the first group after open or a replay,
    // or the first after a group that was not written), so the store holds
    // the map as of the last group. A map that does not load refuses the
    // record rather than commit a wrong root.
    CL_TRY(load_bucket_map(w.store(), map_));
    map_loaded_ = true;
  }
  queued_before_ = queued_.size();
  if (domain::command_of_event_type(e.type)) {
    CertView view;
    if (auto bytes = w.get(kCfCerts, e.stream)) {
      CL_ASSIGN(view, decode(*bytes));
    }
    const std::string old_holder = holder_of(view.state);
    const uint32_t old_version = view.state.doc_version;
    CL_TRY(projections::apply(view, e, se.position, hash_hex(se.hash)));
    w.put(kCfCerts, e.stream, encode(view));
    w.put(kCfStatusFeed, be64(se.position), status_message(view.state, se.position, e.time));
    if (view.state.doc_version != old_version)
      w.put(kCfTokens, view.state.token, token_value(e.stream, view.state.doc_version));
    if (old_version == 0) {
      w.put(kCfNumbers, number_key(e.kind, view.state.fields.value("number", ""), e.authority), e.stream);
    }
    const std::string new_holder = holder_of(view.state);
    if (new_holder != old_holder) {
      if (!old_holder.empty()) w.del(kCfHolders, holder_index_key(old_holder, e.stream));
      w.put(kCfHolders, holder_index_key(new_holder, e.stream), e.authority);
    }
    for (auto& entry : statement_entries(view)) queued_.push_back(entry);
    if (w.wants_folded()) w.leave(std::make_shared<const FoldedView>(std::move(view)));
  } else if (e.type == domain::kHolderErased) {
    CL_ASSIGN(auto erasure, domain::erasure_of(e));
    for (const auto& id : erasure.certificates) {
      auto bytes = w.get(kCfCerts, id);
      if (!bytes) return make_error(Errc::corruption, "holder.erased names certificate " + id + ", which has no view");
      CL_ASSIGN(CertView view, decode(*bytes));
      CL_TRY(apply_erasure(view, e, se.position));
      w.put(kCfCerts, id, encode(view));
      for (auto& entry : statement_entries(view)) queued_.push_back(entry);
    }
  }
  return {};
}

bool CertificatesProjection::complete(const store::EventStore& s) const {
  const uint64_t applied = applied_position(s);
  return applied == 0 || map_root_at(s, applied).has_value();
}

void CertificatesProjection::begin_batch() {
  queued_.clear();
  groups_.push_back(false);
}

void CertificatesProjection::before_commit(store::BatchWriter& w, uint64_t last_position) {
  BatchBuckets buckets(w);
  const Hash256 root = map_.update(buckets, std::move(queued_));
  queued_.clear();
  queued_before_ = 0;
  if (!groups_.empty()) groups_.back() = true;
  w.put(kCfStateMap, kMapRootKey, encode_map_root(last_position, root));
  mark_applied(w, last_position);
}

void CertificatesProjection::forget() {
  queued_.clear();
  queued_before_ = 0;
  groups_.clear();
  map_loaded_ = false;
}

void CertificatesProjection::end_batch(bool committed) {
  if (groups_.empty()) return;
  if (!committed && groups_.front()) map_loaded_ = false;
  groups_.pop_front();
}

namespace {

void add_count(store::BatchWriter& w, const std::string& key, int64_t delta) {
  uint64_t n = 0;
  if (auto v = w.get(kCfStats, key); v && v->size() == 8) n = get_be64(*v);
  n = static_cast<uint64_t>(static_cast<int64_t>(n) + delta);
  if (n == 0) w.del(kCfStats, key);
  else w.put(kCfStats, key, be64(n));
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (auto p : parts) {
    if (!k.empty()) k += '\0';
    k += p;
  }
  return k;
}

}  // namespace

Status StatisticsProjection::apply(const domain::Record& se, store::BatchWriter& w) {
  const domain::Event& e = se.event;
  if (e.type == "authority.registered") {
    w.put(kCfStats, join({"a", e.authority}), e.data.value("region", ""));
  } else if (e.type == "report.registered" || e.type == "report.withdrawn") {
    // Reports per institution and category (统计分析).
    const std::string institution = e.type == "report.registered" ? e.data.value("institution", "") : "";
    if (e.type == "report.registered") {
      const std::string category = e.data["fields"].value("category", "");
      add_count(w, join({"r", e.authority, institution, category}), +1);
      w.put(kCfStats, join({"rn", institution}), e.data.value("institution_name", ""));
    } else {
      add_count(w, join({"rw", e.authority}), +1);
    }
    const Date d = china_date(e.time);
    char month[8];
    std::snprintf(month, sizeof month, "%04d-%02d", d.year, d.month);
    add_count(
        w, join({"m", month, e.authority, "test_report", e.type == "report.registered" ? "register" : "withdraw"}), +1);
  } else if (auto cmd = domain::command_of_event_type(e.type)) {
    const std::string cert_key = join({"c", e.stream});
    std::string old_status;
    if (auto v = w.get(kCfStats, cert_key)) old_status = *v;
    std::string new_status = old_status;
    switch (*cmd) {
      case domain::CommandType::issue:
      case domain::CommandType::convert:
      case domain::CommandType::reinstate: new_status = "active"; break;
      case domain::CommandType::suspend: new_status = "suspended"; break;
      case domain::CommandType::cancel: new_status = "cancelled"; break;
      case domain::CommandType::revoke: new_status = "revoked"; break;
      case domain::CommandType::withdraw: new_status = "withdrawn"; break;
      default: break;
    }
    if (new_status != old_status) {
      if (!old_status.empty()) add_count(w, join({"n", e.authority, e.kind, old_status}), -1);
      add_count(w, join({"n", e.authority, e.kind, new_status}), +1);
      w.put(kCfStats, cert_key, new_status);
    }
    const Date d = china_date(e.time);
    char month[8];
    std::snprintf(month, sizeof month, "%04d-%02d", d.year, d.month);
    add_count(w, join({"m", month, e.authority, e.kind, domain::command_name(*cmd)}), +1);
  }
  return {};
}

Status ReportsProjection::apply(const domain::Record& se, store::BatchWriter& w) {
  const domain::Event& e = se.event;
  if (e.type != "report.registered" && e.type != "report.withdrawn") return {};
  const std::string code = e.data.value("code", "");
  json view = json::object();
  if (auto v = w.get(kCfReports, code)) view = json::parse(*v, nullptr, false);
  // The fold lives in the domain; the view is its JSON form plus positions.
  domain::ReportState s;
  if (view.is_object() && view.contains("state")) {
    const json& st = view["state"];
    s.exists = true;
    s.code = code;
    s.institution = st.value("institution", "");
    s.authority = st.value("authority", "");
    s.data = st.value("data", json::object());
    s.withdrawn = st.value("withdrawn", false);
    s.withdraw_reason = st.value("withdraw_reason", "");
    s.registered_at = st.value("registered_at", int64_t{0});
    s.withdrawn_at = st.value("withdrawn_at", int64_t{0});
    s.stream_version = st.value("stream_version", uint64_t{0});
    s.last_hash = st.value("last_hash", "");
  }
  CL_TRY(domain::apply_report_event(s, e, hash_hex(se.hash)));
  json out = {{"state",
               {{"institution", s.institution},
                {"authority", s.authority},
                {"data", s.data},
                {"withdrawn", s.withdrawn},
                {"withdraw_reason", s.withdraw_reason},
                {"registered_at", s.registered_at},
                {"withdrawn_at", s.withdrawn_at},
                {"stream_version", s.stream_version},
                {"last_hash", s.last_hash}}},
              {"registered_position", view.value("registered_position", se.position)},
              {"last_position", se.position}};
  w.put(kCfReports, code, out.dump());
  return {};
}

std::vector<std::unique_ptr<Projection>> standard_projections() {
  std::vector<std::unique_ptr<Projection>> p;
  p.push_back(std::make_unique<CertificatesProjection>());
  p.push_back(std::make_unique<StatisticsProjection>());
  p.push_back(std::make_unique<ReportsProjection>());
  return p;
}

std::vector<store::BatchContributor*> as_contributors(const std::vector<std::unique_ptr<Projection>>& p) {
  std::vector<store::BatchContributor*> out;
  for (const auto& x : p) out.push_back(x.get());
  return out;
}

namespace {

// Replays through the live apply() code, staged in memory: each key is
// written once per stage (stage_bytes of staged values), not once per
// event, and the next records are decoded on another thread meanwhile.
// Each stage is written atomically with the projections' applied
// positions, so an interrupted replay leaves them at a consistent position.
Status replay(store::EventStore& store, const std::vector<Projection*>& projections, uint64_t from, bool families_empty,
              const Progress& progress, size_t stage_bytes) {
  const uint64_t last = store.last_position();
  if (from > last) return {};
  std::vector<std::string> empty;
  if (families_empty)
    for (auto* p : projections)
      for (const auto& cf : p->column_families()) empty.push_back(cf);
  store::MemoryBatch stage(store, empty);
  store::BatchWriter bw(store, stage);
  // A full stage is written on another thread while the next one fills
  // (reading through it); stages still reach RocksDB one at a time, in order.
  std::unique_ptr<store::MemoryBatch> flushing;
  std::future<Status> flushed;
  auto settle = [&]() -> Status {
    if (!flushing) return {};
    CL_TRY(flushed.get());
    stage.drop_below();
    flushing.reset();
    return {};
  };
  CL_TRY(for_each_record(store, from, last, [&](domain::Record& e) -> Status {
    for (auto* p : projections) {
      auto st = p->apply(e, bw);
      if (!st.ok())
        return make_error(st.error().code, "position " + std::to_string(e.position) + ": " + st.error().message);
    }
    if (stage.bytes() >= stage_bytes) {
      for (auto* p : projections) p->before_commit(bw, e.position);
      CL_TRY(settle());
      flushing = stage.split();
      flushed = std::async(std::launch::async, [f = flushing.get()] { return f->write(false); });
    }
    if (progress && (e.position % 4096 == 0 || e.position == last)) progress(e.position, last);
    return {};
  }));
  CL_TRY(settle());
  for (auto* p : projections) p->before_commit(bw, last);
  return stage.flush(true);
}

}  // namespace

Status catch_up(store::EventStore& store, const std::vector<Projection*>& projections, const Progress& progress,
                size_t stage_bytes) {
  // Projections may be at different positions; bring each up separately.
  for (auto* p : projections) {
    p->forget();
    if (!p->complete(store)) {
      CL_TRY(rebuild(store, {p}, progress, stage_bytes));
      continue;
    }
    const uint64_t applied = p->applied_position(store);
    if (applied < store.last_position()) CL_TRY(replay(store, {p}, applied + 1, false, progress, stage_bytes));
  }
  return {};
}

Status rebuild(store::EventStore& store, const std::vector<Projection*>& projections, const Progress& progress,
               size_t stage_bytes) {
  for (auto* p : projections) {
    for (const auto& cf : p->column_families()) CL_TRY(store.reset_column_family(cf));
    p->forget();
  }
  return replay(store, projections, 1, true, progress, stage_bytes);
}

}  // namespace certledger::projections
