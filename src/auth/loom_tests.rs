// Local placeholder (not committed): the race branch has not committed src/auth/loom_tests.rs yet.
