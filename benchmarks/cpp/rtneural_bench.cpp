// Batch-1 LSTM/GRU step latency of the real RTNeural (its compile-time API, RTNeural::ModelT with
// LSTMLayerT/GRULayerT and DenseT, Eigen backend), for the step benchmark's networks: 64 inputs, one
// recurrent layer of H, a linear head of 64 outputs. This file is the project's; RTNeural's own source
// is not in the repository: benchmarks/cpp/rtneural.sh fetches it (or takes RTNEURAL_SRC) and
// compiles this against it. Same weights scheme, inputs, timing and output (table and JSON) as
// eigen_rnn_bench.cpp, so the two can be read side by side.
//
//   rtneural_bench [--json FILE] [--warmup S] [--rep-time S] [--reps N]
//
// Weights are made in PyTorch's layout (uniform(-1/sqrt(H), 1/sqrt(H)), fixed seed) and loaded the way
// RTNeural's own torch_helpers.h loads a PyTorch state_dict: W_ih and W_hh transposed; for an LSTM
// b_ih + b_hh; for a GRU the r and z blocks swapped (RTNeural keeps Keras' z, r, h order) and both
// biases kept. Before timing, three steps at H = 32 are compared with a scalar implementation of
// PyTorch's equations (y and h, within 1e-5 in float, 1e-12 in double); a mismatch exits with 1.
#include <RTNeural/RTNeural.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <time.h>

namespace {

constexpr int kInput = 64;
constexpr int kOutput = 64;
constexpr int kPool = 64;
constexpr unsigned kWeightSeed = 20240611u;  // the seeds of eigen_rnn_bench.cpp
constexpr unsigned kInputSeed = 7u;

struct Params {
    int gates = 0, hidden = 0;
    std::vector<double> w_ih, w_hh, b_ih, b_hh, w_y, b_y;  // PyTorch's layout, row-major
};

Params make_params(int gates, int hidden, unsigned seed) {
    std::mt19937_64 rng(seed);
    double k = 1.0 / std::sqrt(static_cast<double>(hidden));
    std::uniform_real_distribution<double> u(-k, k);
    auto fill = [&](std::vector<double>& v, std::size_t n) {
        v.resize(n);
        for (auto& e : v) e = u(rng);
    };
    Params p;
    p.gates = gates;
    p.hidden = hidden;
    std::size_t gh = static_cast<std::size_t>(gates) * hidden;
    fill(p.w_ih, gh * kInput);
    fill(p.w_hh, gh * hidden);
    fill(p.b_ih, gh);
    fill(p.b_hh, gh);
    fill(p.w_y, static_cast<std::size_t>(kOutput) * hidden);
    fill(p.b_y, kOutput);
    return p;
}

std::vector<std::vector<double>> make_inputs(unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n(0.0, 1.0);
    std::vector<std::vector<double>> xs(kPool, std::vector<double>(kInput));
    for (auto& x : xs)
        for (auto& e : x) e = n(rng);
    return xs;
}

// PyTorch (rows x cols, row-major) -> RTNeural's [cols][rows] (torch_helpers' transpose), optionally
// swapping the first two gate blocks of size h (the r and z of a GRU).
template <typename T>
std::vector<std::vector<T>> transposed(const std::vector<double>& w, int rows, int cols, int swap_block) {
    std::vector<std::vector<T>> out(cols, std::vector<T>(rows));
    for (int r = 0; r < rows; ++r) {
        int rr = r;
        if (swap_block > 0 && r < 2 * swap_block) rr = r < swap_block ? r + swap_block : r - swap_block;
        for (int c = 0; c < cols; ++c) out[c][rr] = static_cast<T>(w[static_cast<std::size_t>(r) * cols + c]);
    }
    return out;
}

template <typename T, int H>
using LstmModel = RTNeural::ModelT<T, kInput, kOutput, RTNeural::LSTMLayerT<T, kInput, H>, RTNeural::DenseT<T, H, kOutput>>;
template <typename T, int H>
using GruModel = RTNeural::ModelT<T, kInput, kOutput, RTNeural::GRULayerT<T, kInput, H>, RTNeural::DenseT<T, H, kOutput>>;

template <bool Lstm, typename Model, typename T, int H>
void load(Model& model, const Params& p) {
    auto& rnn = model.template get<0>();
    int n = p.gates * H;
    if constexpr (Lstm) {
        rnn.setWVals(transposed<T>(p.w_ih, n, kInput, 0));
        rnn.setUVals(transposed<T>(p.w_hh, n, H, 0));
        std::vector<T> b(n);
        for (int i = 0; i < n; ++i) b[i] = static_cast<T>(p.b_ih[i] + p.b_hh[i]);
        rnn.setBVals(b);
    } else {
        rnn.setWVals(transposed<T>(p.w_ih, n, kInput, H));
        rnn.setUVals(transposed<T>(p.w_hh, n, H, H));
        std::vector<std::vector<T>> b(2, std::vector<T>(n));
        for (int i = 0; i < n; ++i) {
            int ii = i < 2 * H ? (i < H ? i + H : i - H) : i;
            b[0][ii] = static_cast<T>(p.b_ih[i]);
            b[1][ii] = static_cast<T>(p.b_hh[i]);
        }
        rnn.setBVals(b);
    }
    std::vector<std::vector<T>> wy(kOutput, std::vector<T>(H));
    for (int o = 0; o < kOutput; ++o)
        for (int k = 0; k < H; ++k) wy[o][k] = static_cast<T>(p.w_y[static_cast<std::size_t>(o) * H + k]);
    auto& dense = model.template get<1>();
    dense.setWeights(wy);
    std::vector<T> by(p.b_y.begin(), p.b_y.end());
    dense.setBias(by.data());
    model.reset();
}

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// PyTorch's equations as plain loops in double (the sanity check's reference).
struct ScalarRef {
    const Params& p;
    bool lstm;
    std::vector<double> h, c, y;
    ScalarRef(const Params& params, bool is_lstm)
        : p(params), lstm(is_lstm), h(params.hidden, 0.0), c(params.hidden, 0.0), y(kOutput, 0.0) {}
    void step(const std::vector<double>& x) {
        int H = p.hidden, n = p.gates * H;
        std::vector<double> a(n), b(n);
        for (int r = 0; r < n; ++r) {
            double s = p.b_ih[r], t = p.b_hh[r];
            for (int k = 0; k < kInput; ++k) s += p.w_ih[static_cast<std::size_t>(r) * kInput + k] * x[k];
            for (int k = 0; k < H; ++k) t += p.w_hh[static_cast<std::size_t>(r) * H + k] * h[k];
            a[r] = s;
            b[r] = t;
        }
        for (int j = 0; j < H; ++j) {
            if (lstm) {
                double i = sig(a[j] + b[j]), f = sig(a[H + j] + b[H + j]);
                double g = std::tanh(a[2 * H + j] + b[2 * H + j]), o = sig(a[3 * H + j] + b[3 * H + j]);
                c[j] = f * c[j] + i * g;
                h[j] = o * std::tanh(c[j]);
            } else {
                double r = sig(a[j] + b[j]), z = sig(a[H + j] + b[H + j]);
                double nn = std::tanh(a[2 * H + j] + r * b[2 * H + j]);
                h[j] = (1.0 - z) * nn + z * h[j];
            }
        }
        for (int o = 0; o < kOutput; ++o) {
            double s = p.b_y[o];
            for (int k = 0; k < H; ++k) s += p.w_y[static_cast<std::size_t>(o) * H + k] * h[k];
            y[o] = s;
        }
    }
};

// ModelT::forward reads its input through an Eigen::Map aligned to RTNEURAL_DEFAULT_ALIGNMENT (32 or 64 bytes), so
// every input vector must start on such a boundary: std::vector's 16-byte storage made the aligned loads fault.
template <typename T>
struct AlignedAllocator {
    using value_type = T;
    static constexpr std::size_t kAlign = 64;
    AlignedAllocator() = default;
    template <typename U>
    AlignedAllocator(const AlignedAllocator<U>&) {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kAlign))); }
    void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kAlign)); }
    template <typename U>
    bool operator==(const AlignedAllocator<U>&) const { return true; }
    template <typename U>
    bool operator!=(const AlignedAllocator<U>&) const { return false; }
};

template <typename T>
std::vector<std::vector<T, AlignedAllocator<T>>> to_t(const std::vector<std::vector<double>>& xs) {
    std::vector<std::vector<T, AlignedAllocator<T>>> out;
    for (const auto& x : xs) out.emplace_back(x.begin(), x.end());
    return out;
}

template <typename T, bool Lstm>
bool check(double tol) {
    constexpr int H = 32;
    using Model = std::conditional_t<Lstm, LstmModel<T, H>, GruModel<T, H>>;
    Params p = make_params(Lstm ? 4 : 3, H, kWeightSeed);
    auto xs = make_inputs(kInputSeed);
    auto xt = to_t<T>(xs);
    auto model = std::make_unique<Model>();
    load<Lstm, Model, T, H>(*model, p);
    ScalarRef ref(p, Lstm);
    double worst = 0.0;
    for (int s = 0; s < 3; ++s) {
        model->forward(xt[s].data());
        ref.step(xs[s]);
        const T* y = model->getOutputs();
        for (int o = 0; o < kOutput; ++o) worst = std::max(worst, std::abs(static_cast<double>(y[o]) - ref.y[o]));
        const auto& h = model->template get<0>().outs;
        for (int j = 0; j < H; ++j) worst = std::max(worst, std::abs(static_cast<double>(h(j)) - ref.h[j]));
    }
    bool ok = worst <= tol;
    std::printf("check %s H=%d %s: max |RTNeural - scalar| = %.3g over h, y, 3 steps (tolerance %.0e): %s\n",
                Lstm ? "lstm" : "gru", H, sizeof(T) == 4 ? "float" : "double", worst, tol, ok ? "ok" : "FAILED");
    return ok;
}

struct Options {
    std::string json = "benchmarks/results/cpp-rtneural.json";
    double warmup = 0.3, rep_time = 0.3;
    int reps = 5;
};

struct Row {
    std::string cell;
    int hidden;
    std::string precision;
    double median_ns, min_ns, gflops, flops;
};

#ifdef BENCH_THREAD_CPU_TIME
// The calling thread's CPU time instead of the wall clock (CXXFLAGS_EXTRA=-DBENCH_THREAD_CPU_TIME): on a machine
// that other work loads, what benchmarks/cputime-ab measures for the generated stepper.
struct Clock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<Clock>;
    static constexpr bool is_steady = true;
    static time_point now() {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(duration(static_cast<rep>(ts.tv_sec) * 1000000000 + ts.tv_nsec));
    }
};
#else
using Clock = std::chrono::steady_clock;
#endif
volatile double g_sink = 0.0;

template <typename T, int H, bool Lstm>
Row bench(const Options& opt) {
    using Model = std::conditional_t<Lstm, LstmModel<T, H>, GruModel<T, H>>;
    Params p = make_params(Lstm ? 4 : 3, H, kWeightSeed);
    auto model = std::make_unique<Model>();  // on the heap: at H = 512 its fixed-size matrices are megabytes
    load<Lstm, Model, T, H>(*model, p);
    auto xs = to_t<T>(make_inputs(kInputSeed));
    T acc = 0;
    std::size_t idx = 0;
    auto run = [&](long n) {
        for (long i = 0; i < n; ++i) {
            model->forward(xs[idx & (kPool - 1)].data());
            acc += model->getOutputs()[idx & (kOutput - 1)];
            ++idx;
        }
    };
    long chunk = 16, done = 0;
    auto t0 = Clock::now();
    double elapsed = 0.0;
    while (elapsed < opt.warmup) {
        run(chunk);
        done += chunk;
        elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        if (chunk < (1L << 20)) chunk *= 2;
    }
    long per_rep = std::max(1L, static_cast<long>(opt.rep_time * done / elapsed));
    std::vector<double> ns;
    for (int r = 0; r < opt.reps; ++r) {
        auto a = Clock::now();
        run(per_rep);
        auto b = Clock::now();
        ns.push_back(std::chrono::duration<double, std::nano>(b - a).count() / per_rep);
    }
    g_sink = g_sink + static_cast<double>(acc);
    std::sort(ns.begin(), ns.end());
    double median = ns.size() % 2 ? ns[ns.size() / 2] : 0.5 * (ns[ns.size() / 2 - 1] + ns[ns.size() / 2]);
    double flops = 2.0 * (Lstm ? 4 : 3) * H * (kInput + H) + 2.0 * kOutput * H;
    Row row{Lstm ? "lstm" : "gru", H, sizeof(T) == 4 ? "float" : "double", median, ns.front(), flops / median, flops};
    std::fprintf(stderr, "  %-4s H=%-3d %-6s %10.1f ns/step median, %10.1f min, %6.2f GFLOP/s (%d x %ld steps)\n",
                 row.cell.c_str(), H, row.precision.c_str(), median, ns.front(), row.gflops, opt.reps, per_rep);
    return row;
}

template <typename T>
void bench_precision(std::vector<Row>& rows, const Options& opt) {
    rows.push_back(bench<T, 32, true>(opt));
    rows.push_back(bench<T, 64, true>(opt));
    rows.push_back(bench<T, 128, true>(opt));
    rows.push_back(bench<T, 512, true>(opt));
    rows.push_back(bench<T, 32, false>(opt));
    rows.push_back(bench<T, 64, false>(opt));
    rows.push_back(bench<T, 128, false>(opt));
    rows.push_back(bench<T, 512, false>(opt));
}

std::string with_commas(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    std::string s = buf, out;
    int n = static_cast<int>(s.size());
    for (int i = 0; i < n; ++i) {
        out += s[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1) out += ',';
    }
    return out;
}

void print_table(const std::vector<Row>& rows, const char* precision) {
    std::printf("\n#### RTNeural, %s\n\n", precision);
    std::printf("| cell | H | ns/step (median) | ns/step (min) | GFLOP/s (median) |\n");
    std::printf("|---|---|---|---|---|\n");
    for (const auto& r : rows)
        if (r.precision == precision)
            std::printf("| %s | %d | %s | %s | %.2f |\n", r.cell.c_str(), r.hidden, with_commas(r.median_ns).c_str(),
                        with_commas(r.min_ns).c_str(), r.gflops);
}

bool write_json(const std::vector<Row>& rows, const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) return false;
    std::fprintf(f, "[\n");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        std::fprintf(f,
                     "  {\"cell\": \"%s\", \"hidden\": %d, \"precision\": \"%s\", \"ns_per_step_median\": %.1f, "
                     "\"ns_per_step_min\": %.1f, \"gflops\": %.3f, \"flops_per_step\": %.0f}%s\n",
                     r.cell.c_str(), r.hidden, r.precision.c_str(), r.median_ns, r.min_ns, r.gflops, r.flops,
                     i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "]\n");
    return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--json") opt.json = value();
        else if (a == "--warmup") opt.warmup = std::atof(value());
        else if (a == "--rep-time") opt.rep_time = std::atof(value());
        else if (a == "--reps") opt.reps = std::max(1, std::atoi(value()));
        else {
            std::fprintf(stderr, "usage: %s [--json FILE] [--warmup S] [--rep-time S] [--reps N]\n", argv[0]);
            return 2;
        }
    }
    bool ok = check<float, true>(1e-5) && check<float, false>(1e-5) && check<double, true>(1e-12)
              && check<double, false>(1e-12);
    if (!ok) {
        std::fprintf(stderr, "RTNeural does not match the scalar reference: the weights are loaded wrongly\n");
        return 1;
    }
    std::printf("check ok\nRTNeural (ModelT, Eigen %d.%d.%d backend, SIMD: %s), 1 thread; input %d, head %d outputs; "
                "warm-up %.2g s, %d x %.2g s\n",
                EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, Eigen::SimdInstructionSetsInUse(), kInput,
                kOutput, opt.warmup, opt.reps, opt.rep_time);
    std::fflush(stdout);
    std::vector<Row> rows;
    bench_precision<float>(rows, opt);
    bench_precision<double>(rows, opt);
    print_table(rows, "float");
    print_table(rows, "double");
    std::printf("\nOne step = RTNeural ModelT forward (cell + Dense head of 64 outputs), batch 1, single thread. "
                "GFLOP/s = (2*G*H*(64+H) + 2*64*H) / median ns.\n");
    if (!write_json(rows, opt.json)) {
        std::fprintf(stderr, "cannot write %s\n", opt.json.c_str());
        return 1;
    }
    std::printf("JSON: %s (checksum %g)\n", opt.json.c_str(), static_cast<double>(g_sink));
    return 0;
}
