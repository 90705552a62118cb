import Testing

extension Tag {
    /// A suite that times answers, measures CPU or lateness, or starves a CPU on purpose: it needs a
    /// quiet machine, so `make test` (scripts/test.sh) runs these suites alone, one test at a time,
    /// before the others run side by side. Tag the suite (`@Suite(.tags(.timing))`): the runner
    /// finds the tag on the `@Suite` line.
    @Tag public static var timing: Self
}
