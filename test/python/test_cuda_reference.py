"""Pure-Python parts of benches/cuda_reference.py (no torch): arguments, statistics, the result-file writer.

Run by test/unit/cuda-reference.test.ts (`python3 test/python/test_cuda_reference.py`), which also
checks with parseResultFile the file `--write-sample <path>` writes.
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benches"))
import cuda_reference as cr  # noqa: E402

CONFIG = {
    "axisValue": 8,
    "label": "B=8 P=64",
    "problem": {"headsQ": 2, "headsKV": 1, "headDim": 16, "queriesPerSeq": 1, "causal": True, "scale": 0.25, "kvDtype": "f16", "segments": [{"id": "p", "length": 64}], "sequences": [["p"]] * 8},
    "variants": [],
    "cost": {"flops": 4096, "bytesPerSequenceKv": 1000, "bytesPerSegmentKv": 400, "uniqueBytes": 400},
    "tolerance": {"atol": 2e-3, "rtol": 5e-3},
}
SUITE = {"name": "tiny", "description": "a tiny suite", "axis": {"name": "batch", "log": True}, "configs": [CONFIG]}
SETTINGS = {"seed": 1, "warmupMs": 500, "minRuns": 20, "maxRuns": 500, "budgetMs": 1500, "minSampleMs": 1, "checkRows": 64}


def sample_file():
    check = {"against": "f64 reference (sampled rows)", "rows": 16, "pass": True, "maxAbsErr": 1e-4, "maxRelErr": 2e-4, "worst": "o[b=0,h=1,i=0,d=3]"}
    ok = cr.timed_entry(CONFIG, "FA2 (PyTorch)", cr.FA2_KERNEL, "FA2 on flash", [2.0, 1.0, 3.0, 4.0], [5.0, 2.0], 510.0, 1, [4], 1000, [check])
    skipped = cr.not_run_entry(CONFIG, "Hydragen (PyTorch)", cr.HYDRAGEN_KERNEL, "skipped", "CUDA out of memory: ...")
    return cr.result_file(SUITE, "cuda-reference (PyTorch 2.11.0, FA2)", cr.dry_run_device(), "cuda-events", SETTINGS, [ok, skipped], 4500.0, 700.0)


class Arguments(unittest.TestCase):
    def test_defaults_and_overrides(self):
        a = cr.parse_args(["--suite", "decode-anchors", "--min-runs", "0", "--budget-ms", "200"])
        s = cr.settings_from(a, SETTINGS)
        self.assertEqual(s["minRuns"], 1)  # at least one run, as the CLI
        self.assertEqual(s["budgetMs"], 200)
        self.assertEqual(s["warmupMs"], 500)
        self.assertEqual(a.out, "cuda-reference-{suite}.json")

    def test_usage_errors_exit_2(self):
        for argv in (["--suite", "all", "--out", "x.json"], [], ["--suite", "x", "--seed", "-1"]):
            with self.assertRaises(SystemExit) as e, open(os.devnull, "w") as null:
                old, sys.stderr = sys.stderr, null
                try:
                    cr.parse_args(argv)
                finally:
                    sys.stderr = old
            self.assertEqual(e.exception.code, 2, argv)

    def test_configs_match_whole_labels(self):
        export = {"suites": [{**SUITE, "configs": [CONFIG, {**CONFIG, "label": "B=8 P=640"}]}]}
        got = cr.choose_suites(export, ["tiny"], "B=8 P=64")
        self.assertEqual([c["label"] for c in got[0]["configs"]], ["B=8 P=64"])
        with self.assertRaises(cr.UsageError):
            cr.choose_suites(export, ["tiny"], "B=8")
        with self.assertRaises(cr.UsageError):
            cr.choose_suites(export, ["nope"], None)


class Statistics(unittest.TestCase):
    def test_quantiles_as_stats_ts(self):
        s = cr.summarize([4.0, 1.0, 3.0, 2.0, 5.0])
        self.assertEqual((s["medianMs"], s["minMs"], s["maxMs"], s["runs"]), (3.0, 1.0, 5.0, 5))
        self.assertAlmostEqual(s["p10Ms"], 1.4)
        self.assertAlmostEqual(s["p90Ms"], 4.6)

    def test_sample_rows_as_check_ts(self):
        self.assertEqual(cr.sample_rows(5, 64), [0, 1, 2, 3, 4])
        self.assertEqual(cr.sample_rows(100, 3), [0, 50, 99])

    def test_one_number_format(self):
        self.assertEqual([cr.fmt(x) for x in (0.51, 1.79e-4, 4812.4, 12.345, 0, 2.5e7, 100.0)], ["0.51", "1.79e-4", "4812", "12.3", "0", "2.50e+7", "100"])


class ResultFile(unittest.TestCase):
    def test_ok_entry_numbers(self):
        r = sample_file()
        e = r["entries"][0]
        self.assertEqual(e["timing"]["medianMs"], 2.5)
        self.assertAlmostEqual(e["gbPerS"], 1000 / 2.5e-3 / 1e9)
        self.assertAlmostEqual(e["tflopPerS"], 4096 / 2.5e-3 / 1e12)
        self.assertEqual(e["uniqueBytes"], 400)
        self.assertEqual(r["matmulCeilingTflops"], 700.0)

    def test_writer_refuses_nan(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sub", "r.json")
            cr.write_result(path, sample_file())
            with open(path, encoding="utf8") as f:
                self.assertEqual(json.load(f)["schema"], cr.RESULT_SCHEMA)
            bad = sample_file()
            bad["bandwidthCeilingGBps"] = float("nan")
            with self.assertRaises(ValueError):
                cr.write_result(path, bad)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-sample":
        cr.write_result(sys.argv[2], sample_file())
        sys.exit(0)
    unittest.main()
