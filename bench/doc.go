// Package bench holds waffle's benchmarks, in a module of their own so that
// their dependencies stay out of the library's go.mod. `make bench` runs the
// side-by-side ones and rewrites BENCHMARKS.md (scripts/bench); `make
// bench-all` runs every one.
//
// Benchmarks are named Benchmark<Area>/db=<DB>/op=<Op>/case=<Case>, with
// further key=value parameters after them and impl=<Impl> last where
// implementations run side by side, so that benchstat can compare them
// (-col /impl) and benchreport can compute their ratios.
package bench
