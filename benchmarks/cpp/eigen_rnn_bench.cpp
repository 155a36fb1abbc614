// A same-machine C++ reference for batch-1 LSTM/GRU inference speed, in the style of RTNeural
// (compile-time-sized layers on Eigen, built with -O3 -march=native). This is NOT RTNeural: it is
// a small equivalent written for this project, because RTNeural cannot be downloaded here. See
// README.md next to this file.
//
// One step = the recurrent cell (PyTorch's equations and gate order) followed by a linear head of
// 64 outputs, which is what the Java benchmark StepBenchmark times (Stepper.step).
//
//   eigen_rnn_bench [--json FILE] [--warmup S] [--rep-time S] [--reps N]
//
// Build (benchmarks/cpp/run.sh does it): g++ -O3 -march=native -DNDEBUG -std=c++17 -I/usr/include/eigen3
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kInput = 64;   // input size of every model
constexpr int kOutput = 64;  // outputs of the linear head
constexpr int kPool = 64;    // precomputed inputs, cycled

// ---------------------------------------------------------------------------------------------
// Parameters in PyTorch's layout (row-major, gates stacked in PyTorch's order), in double.
// Both the Eigen layers and the scalar reference are built from these.

struct Params {
    int gates = 0, hidden = 0;
    std::vector<double> w_ih, w_hh, b_ih, b_hh;  // (G*H x I), (G*H x H), G*H, G*H
    std::vector<double> w_y, b_y;                // (O x H), O
};

Params make_params(int gates, int hidden, unsigned seed) {
    std::mt19937_64 rng(seed);
    double k = 1.0 / std::sqrt(static_cast<double>(hidden));
    std::uniform_real_distribution<double> u(-k, k);  // PyTorch's init for the cells and for Linear(H, O)
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

// ---------------------------------------------------------------------------------------------
// Weight storage with compile-time sizes. Small matrices are plain fixed-size Eigen members (as in
// RTNeural); a fixed-size matrix above Eigen's stack limit (128 KiB) would not compile and would
// not fit on the stack, so those are an Eigen::Map of the same fixed-size type over 64-byte-aligned
// heap storage. Either way the products see compile-time sizes.

struct AlignedFree {
    void operator()(void* p) const noexcept { std::free(p); }
};

template <typename T, int R, int C,
          bool Small = (static_cast<std::size_t>(R) * C * sizeof(T) <= EIGEN_STACK_ALLOCATION_LIMIT)>
class Weights;

template <typename T, int R, int C>
class Weights<T, R, C, true> {
public:
    using Mat = Eigen::Matrix<T, R, C>;
    Mat& mat() noexcept { return m_; }
    const Mat& mat() const noexcept { return m_; }

private:
    Mat m_ = Mat::Zero();
};

template <typename T, int R, int C>
class Weights<T, R, C, false> {
public:
    using Mat = Eigen::Map<Eigen::Matrix<T, R, C>, Eigen::Aligned64>;
    Weights() : buf_(alloc()), m_(buf_.get()) { m_.setZero(); }
    Weights(const Weights&) = delete;
    Weights& operator=(const Weights&) = delete;
    Mat& mat() noexcept { return m_; }
    const Mat& mat() const noexcept { return m_; }

private:
    static T* alloc() {
        std::size_t bytes = (static_cast<std::size_t>(R) * C * sizeof(T) + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, bytes);
        if (p == nullptr) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    std::unique_ptr<T, AlignedFree> buf_;
    Mat m_;
};

// RTNeural's Eigen backend: sigmoid as 1 / (1 + exp(-x)) on arrays, tanh via .array().tanh().
// -DUSE_EIGEN_LOGISTIC uses Eigen 3.4's .logistic() instead.
template <typename Derived>
void sigmoid_inplace(Eigen::ArrayBase<Derived>&& a) {
    using T = typename Derived::Scalar;
#ifdef USE_EIGEN_LOGISTIC
    a = a.logistic();
#else
    a = T(1) / ((-a).exp() + T(1));
#endif
}

// ---------------------------------------------------------------------------------------------
// LSTM cell, PyTorch: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
//   i, f, o = sigmoid;  g = tanh;  c' = f*c + i*g;  h' = o * tanh(c')
// As in RTNeural's LSTMLayerT, one matrix [W_ih | W_hh] (4H x (I+H)) multiplies [x; h], and the
// two biases are pre-summed. h lives in the tail of [x; h], so each step copies only x in.
template <typename T, int I, int H>
class LstmT {
public:
    static constexpr int G = 4;
    using In = Eigen::Matrix<T, I, 1>;
    using Hidden = Eigen::Matrix<T, H, 1>;

    explicit LstmT(const Params& p) {
        auto& w = w_.mat();
        for (int r = 0; r < G * H; ++r) {
            for (int c = 0; c < I; ++c) w(r, c) = static_cast<T>(p.w_ih[static_cast<std::size_t>(r) * I + c]);
            for (int c = 0; c < H; ++c) w(r, I + c) = static_cast<T>(p.w_hh[static_cast<std::size_t>(r) * H + c]);
            b_(r) = static_cast<T>(p.b_ih[r] + p.b_hh[r]);
        }
        reset();
    }
    void reset() {
        xh_.setZero();
        c_.setZero();
    }
    EIGEN_STRONG_INLINE void step(const In& x) noexcept {
        xh_.template head<I>() = x;
        gates_.noalias() = w_.mat() * xh_;
        gates_ += b_;
        sigmoid_inplace(gates_.template segment<2 * H>(0).array());  // i, f
        gates_.template segment<H>(2 * H).array() = gates_.template segment<H>(2 * H).array().tanh();  // g
        sigmoid_inplace(gates_.template segment<H>(3 * H).array());  // o
        c_.array() = gates_.template segment<H>(H).array() * c_.array()
                     + gates_.template segment<H>(0).array() * gates_.template segment<H>(2 * H).array();
        xh_.template tail<H>().array() = gates_.template segment<H>(3 * H).array() * c_.array().tanh();
    }
    auto h() const noexcept { return xh_.template tail<H>(); }
    const Hidden& c() const noexcept { return c_; }

private:
    Weights<T, G * H, I + H> w_;
    Eigen::Matrix<T, G * H, 1> b_;
    Eigen::Matrix<T, I + H, 1> xh_;
    Eigen::Matrix<T, G * H, 1> gates_;
    Hidden c_;
};

// ---------------------------------------------------------------------------------------------
// GRU cell, PyTorch: r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h
// W_hn h + b_hn must stay apart from the input part, so two products: W_ih x (3H) and W_hh h (3H).
// The r and z biases are pre-summed into the input side; b_in stays on the input side and b_hn on
// the hidden side.
template <typename T, int I, int H>
class GruT {
public:
    static constexpr int G = 3;
    using In = Eigen::Matrix<T, I, 1>;
    using Hidden = Eigen::Matrix<T, H, 1>;

    explicit GruT(const Params& p) {
        auto& wi = wi_.mat();
        auto& wh = wh_.mat();
        for (int r = 0; r < G * H; ++r) {
            for (int c = 0; c < I; ++c) wi(r, c) = static_cast<T>(p.w_ih[static_cast<std::size_t>(r) * I + c]);
            for (int c = 0; c < H; ++c) wh(r, c) = static_cast<T>(p.w_hh[static_cast<std::size_t>(r) * H + c]);
            bi_(r) = static_cast<T>(r < 2 * H ? p.b_ih[r] + p.b_hh[r] : p.b_ih[r]);
        }
        for (int r = 0; r < H; ++r) bhn_(r) = static_cast<T>(p.b_hh[2 * H + r]);
        reset();
    }
    void reset() { h_.setZero(); }
    EIGEN_STRONG_INLINE void step(const In& x) noexcept {
        gi_.noalias() = wi_.mat() * x;
        gh_.noalias() = wh_.mat() * h_;
        gi_ += bi_;
        gh_.template segment<H>(2 * H) += bhn_;
        // r, z
        gi_.template head<2 * H>() += gh_.template head<2 * H>();
        sigmoid_inplace(gi_.template head<2 * H>().array());
        // n
        gi_.template segment<H>(2 * H).array() =
            (gi_.template segment<H>(2 * H).array()
             + gi_.template segment<H>(0).array() * gh_.template segment<H>(2 * H).array())
                .tanh();
        // h' = (1 - z) * n + z * h = n + z * (h - n)
        h_.array() = gi_.template segment<H>(2 * H).array()
                     + gi_.template segment<H>(H).array() * (h_.array() - gi_.template segment<H>(2 * H).array());
    }
    const Hidden& h() const noexcept { return h_; }

private:
    Weights<T, G * H, I> wi_;
    Weights<T, G * H, H> wh_;
    Eigen::Matrix<T, G * H, 1> bi_;
    Eigen::Matrix<T, H, 1> bhn_;
    Eigen::Matrix<T, G * H, 1> gi_, gh_;
    Hidden h_;
};

// ---------------------------------------------------------------------------------------------
// Linear head y = W_y h + b_y, and the model that Stepper.step corresponds to: cell, then head.
template <typename T, int H, int O>
class DenseT {
public:
    using Out = Eigen::Matrix<T, O, 1>;
    explicit DenseT(const Params& p) {
        auto& w = w_.mat();
        for (int r = 0; r < O; ++r) {
            for (int c = 0; c < H; ++c) w(r, c) = static_cast<T>(p.w_y[static_cast<std::size_t>(r) * H + c]);
            b_(r) = static_cast<T>(p.b_y[r]);
        }
    }
    template <typename V>
    EIGEN_STRONG_INLINE const Out& forward(const V& h) noexcept {
        y_.noalias() = w_.mat() * h;
        y_ += b_;
        return y_;
    }
    const Out& y() const noexcept { return y_; }

private:
    Weights<T, O, H> w_;
    Eigen::Matrix<T, O, 1> b_;
    Out y_;
};

template <template <typename, int, int> class Cell, typename T, int H>
class StepperT {
public:
    using CellT = Cell<T, kInput, H>;
    using In = typename CellT::In;
    using Out = typename DenseT<T, H, kOutput>::Out;
    static constexpr int G = CellT::G;
    explicit StepperT(const Params& p) : cell_(p), head_(p) {}
    void reset() { cell_.reset(); }
    EIGEN_STRONG_INLINE const Out& step(const In& x) noexcept {
        cell_.step(x);
        return head_.forward(cell_.h());
    }
    const CellT& cell() const noexcept { return cell_; }

private:
    CellT cell_;
    DenseT<T, H, kOutput> head_;
};

// ---------------------------------------------------------------------------------------------
// Scalar reference: PyTorch's equations written out as plain loops, in double, on the PyTorch
// layout. Used only by the sanity check.

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

struct ScalarRef {
    const Params& p;
    bool lstm;
    std::vector<double> h, c, y;
    ScalarRef(const Params& params, bool is_lstm)
        : p(params), lstm(is_lstm), h(params.hidden, 0.0), c(params.hidden, 0.0), y(kOutput, 0.0) {}

    // a[r] = W_ih[r] . x + b_ih[r], b[r] = W_hh[r] . h + b_hh[r]
    void pre(const std::vector<double>& x, std::vector<double>& a, std::vector<double>& b) const {
        int n = p.gates * p.hidden, hs = p.hidden;
        a.assign(n, 0.0);
        b.assign(n, 0.0);
        for (int r = 0; r < n; ++r) {
            double s = p.b_ih[r];
            for (int k = 0; k < kInput; ++k) s += p.w_ih[static_cast<std::size_t>(r) * kInput + k] * x[k];
            a[r] = s;
            double t = p.b_hh[r];
            for (int k = 0; k < hs; ++k) t += p.w_hh[static_cast<std::size_t>(r) * hs + k] * h[k];
            b[r] = t;
        }
    }
    void step(const std::vector<double>& x) {
        int H = p.hidden;
        std::vector<double> a, b;
        pre(x, a, b);
        if (lstm) {
            for (int j = 0; j < H; ++j) {
                double i = sig(a[j] + b[j]);
                double f = sig(a[H + j] + b[H + j]);
                double g = std::tanh(a[2 * H + j] + b[2 * H + j]);
                double o = sig(a[3 * H + j] + b[3 * H + j]);
                c[j] = f * c[j] + i * g;
                h[j] = o * std::tanh(c[j]);
            }
        } else {
            for (int j = 0; j < H; ++j) {
                double r = sig(a[j] + b[j]);
                double z = sig(a[H + j] + b[H + j]);
                double n = std::tanh(a[2 * H + j] + r * b[2 * H + j]);
                h[j] = (1.0 - z) * n + z * h[j];
            }
        }
        for (int o = 0; o < kOutput; ++o) {
            double s = p.b_y[o];
            for (int k = 0; k < H; ++k) s += p.w_y[static_cast<std::size_t>(o) * H + k] * h[k];
            y[o] = s;
        }
    }
};

std::vector<std::vector<double>> make_inputs(unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n(0.0, 1.0);
    std::vector<std::vector<double>> xs(kPool, std::vector<double>(kInput));
    for (auto& x : xs)
        for (auto& e : x) e = n(rng);
    return xs;
}

template <typename T>
std::vector<Eigen::Matrix<T, kInput, 1>> to_eigen(const std::vector<std::vector<double>>& xs) {
    std::vector<Eigen::Matrix<T, kInput, 1>> out(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i)
        for (int k = 0; k < kInput; ++k) out[i](k) = static_cast<T>(xs[i][k]);
    return out;
}

constexpr unsigned kWeightSeed = 20240611u;
constexpr unsigned kInputSeed = 7u;
int gates_of(bool lstm) { return lstm ? 4 : 3; }

template <typename V>
double max_abs_diff(const V& eig, const std::vector<double>& ref) {
    double m = 0.0;
    for (std::size_t i = 0; i < ref.size(); ++i)
        m = std::max(m, std::abs(static_cast<double>(eig(static_cast<Eigen::Index>(i))) - ref[i]));
    return m;
}

// Runs a few steps (the first from the zero state, the later ones exercising W_hh and the carried
// state) of the Eigen stepper and the scalar reference from the same weights and inputs, and
// compares h, c (LSTM) and y after each step.
template <template <typename, int, int> class Cell, typename T>
bool check(const char* name, bool lstm, double tol) {
    constexpr int H = 32;
    Params p = make_params(gates_of(lstm), H, kWeightSeed);
    auto xs = make_inputs(kInputSeed);
    auto xe = to_eigen<T>(xs);
    auto model = std::make_unique<StepperT<Cell, T, H>>(p);
    ScalarRef ref(p, lstm);
    double worst = 0.0;
    for (int s = 0; s < 3; ++s) {
        const auto& y = model->step(xe[s]);
        ref.step(xs[s]);
        worst = std::max(worst, max_abs_diff(y, ref.y));
        worst = std::max(worst, max_abs_diff(model->cell().h(), ref.h));
        if constexpr (std::is_same_v<Cell<T, kInput, H>, LstmT<T, kInput, H>>)
            worst = std::max(worst, max_abs_diff(model->cell().c(), ref.c));
    }
    bool ok = worst <= tol;
    std::printf("check %s H=%d %s: max |eigen - scalar| = %.3g over h%s, y, 3 steps (tolerance %.0e): %s\n",
                name, H, sizeof(T) == 4 ? "float" : "double", worst, lstm ? ", c" : "", tol,
                ok ? "ok" : "FAILED");
    return ok;
}

// ---------------------------------------------------------------------------------------------
// Timing

struct Options {
    std::string json = "benchmarks/results/cpp-eigen.json";
    double warmup = 0.3, rep_time = 0.3;
    int reps = 5;
};

struct Row {
    std::string cell;
    int hidden;
    std::string precision;
    double median_ns, min_ns, gflops, flops;
};

using Clock = std::chrono::steady_clock;
volatile double g_sink = 0.0;

template <template <typename, int, int> class Cell, typename T, int H>
Row bench(const char* name, bool lstm, const Options& opt) {
    using Model = StepperT<Cell, T, H>;
    Params p = make_params(gates_of(lstm), H, kWeightSeed);
    auto model = std::make_unique<Model>(p);
    auto xs = to_eigen<T>(make_inputs(kInputSeed));
    T acc = 0;
    std::size_t idx = 0;
    auto run = [&](long n) {
        for (long i = 0; i < n; ++i) {
            const auto& y = model->step(xs[idx & (kPool - 1)]);
            acc += y(static_cast<Eigen::Index>(idx & (kOutput - 1)));
            ++idx;
        }
    };
    // Warm-up, in growing chunks, which also calibrates the steps per repetition.
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
    double g = Model::G;
    double flops = 2.0 * g * H * (kInput + H) + 2.0 * kOutput * H;
    Row row{name, H, sizeof(T) == 4 ? "float" : "double", median, ns.front(), flops / median, flops};
    std::fprintf(stderr, "  %-4s H=%-3d %-6s %10.1f ns/step median, %10.1f min, %6.2f GFLOP/s (%d x %ld steps)\n",
                 name, H, row.precision.c_str(), median, ns.front(), row.gflops, opt.reps, per_rep);
    return row;
}

template <typename T>
void bench_precision(std::vector<Row>& rows, const Options& opt) {
    rows.push_back(bench<LstmT, T, 32>("lstm", true, opt));
    rows.push_back(bench<LstmT, T, 64>("lstm", true, opt));
    rows.push_back(bench<LstmT, T, 128>("lstm", true, opt));
    rows.push_back(bench<LstmT, T, 512>("lstm", true, opt));
    rows.push_back(bench<GruT, T, 32>("gru", false, opt));
    rows.push_back(bench<GruT, T, 64>("gru", false, opt));
    rows.push_back(bench<GruT, T, 128>("gru", false, opt));
    rows.push_back(bench<GruT, T, 512>("gru", false, opt));
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
    std::printf("\n#### %s\n\n", precision);
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

    // The sanity check (not an assert(): -DNDEBUG would remove it).
    bool ok = check<LstmT, float>("lstm", true, 1e-5) && check<GruT, float>("gru", false, 1e-5)
              && check<LstmT, double>("lstm", true, 1e-12) && check<GruT, double>("gru", false, 1e-12);
    if (!ok) {
        std::fprintf(stderr, "the Eigen implementation does not match the scalar reference\n");
        return 1;
    }
    std::printf("check ok\n");

    std::printf("Eigen %d.%d.%d, SIMD: %s, %d thread(s); input %d, head %d outputs; warm-up %.2g s, %d x %.2g s\n",
                EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, Eigen::SimdInstructionSetsInUse(),
                Eigen::nbThreads(), kInput, kOutput, opt.warmup, opt.reps, opt.rep_time);
    std::fflush(stdout);
    std::vector<Row> rows;
    bench_precision<float>(rows, opt);
    bench_precision<double>(rows, opt);

    print_table(rows, "float");
    print_table(rows, "double");
    std::printf("\nOne step = cell + linear head of 64 outputs, batch 1, single thread. "
                "GFLOP/s = (2*G*H*(64+H) + 2*64*H) / median ns.\n");
    if (!write_json(rows, opt.json)) {
        std::fprintf(stderr, "cannot write %s\n", opt.json.c_str());
        return 1;
    }
    std::printf("JSON: %s (checksum %g)\n", opt.json.c_str(), static_cast<double>(g_sink));
    return 0;
}
