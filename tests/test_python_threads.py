"""Fills release the GIL and share no mutable state: many Python threads filling different
arrays at once get exactly the values of sequential fills, also while another thread keeps
changing the thread count."""

import threading

import fastinit


def test_concurrent_fills_from_python_threads(restore_runtime):
    jobs = [(fn, seed, dtype) for seed in range(6) for fn, dtype in
            [(fastinit.normal, "float32"), (fastinit.uniform, "float64"), (fastinit.truncated_normal, "bfloat16")]]
    expected = [fn(300_000, seed=seed, stream="t", dtype=dtype) for fn, seed, dtype in jobs]
    results = [None] * len(jobs)
    stop = threading.Event()

    def churn():
        n = 1
        while not stop.is_set():
            fastinit.set_num_threads(n)
            n = n % 3 + 1

    def work(i):
        fn, seed, dtype = jobs[i]
        for _ in range(3):
            results[i] = fn(300_000, seed=seed, stream="t", dtype=dtype)

    churner = threading.Thread(target=churn)
    churner.start()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    churner.join()
    for got, want in zip(results, expected):
        assert got.tobytes() == want.tobytes()
