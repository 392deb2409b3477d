"""A small program to trace: dictionaries, lists, strings and a thread,
so the trace holds every kind of call and more than one thread."""
import json
import threading

def work(n):
    data = [{"i": i, "s": "x" * (i % 300), "l": list(range(i % 50))} for i in range(n)]
    return len(json.dumps(data))

t = threading.Thread(target=work, args=(3000,))
t.start()
total = work(5000)
t.join()
blob = bytearray(10)
for i in range(200):
    blob.extend(b"y" * (i * 100))   # realloc growth
print(total, len(blob))
