''' + example + '''EOF
dockscript serve --port 5102 --delay 0.01 --fail 0.001 --quiet & server=$!
dockscript load.lua shop_test.lua --rate 50 --duration 4 --seed 1 --junit shop.xml \\
  -- http://127.0.0.1:5102
# --> shop_test.lua: open model, 50/s for 4s (thresholds from the scenario), seed 1, ...
# --> flow browse ... done, ...
# --> POST /login ...
# --> flow buy ... done, ...
# --> checks ...passes ...fails ...rate  95% interval
# --> has customers ...
# --> me is the user ...
# --> ok    checks:rate>0.99 ...
# --> ok    flow:buy:p99<1s ...
grep -c '<testcase' shop.xml
# --> 4
kill $server; wait $server
```

Every piece has its section: the data file ("Data files"; `users:row(i)` is the same row for
iteration i in any number of threads and shards), the session (the jar is emptied at each
iteration, so each one logs in), the flows ("Flows": the pick of iteration i is the same on
every run), `check` ("Checks"), `clock.think` (docs/lua-api.md, seeded by `--seed` like
`math.random`), and the thresholds and `--junit` ("Options"). The summary shows each flow's chain
and tags, the checks' pass rates with their intervals, and the thresholds.

'''
i=s.index('## Options\n')
s=s[:i]+sec+s[i:]
open(p,'w').write(s)
p='/work/main/docs/lua-api.md'; s=open(p).read()
old='''## sys
'''
assert old in s
s=s.replace(old,'''A whole scenario with checks, logins, a CSV data file and two flows: docs/load.md, "A worked
example".

## sys
''',1)
open(p,'w').write(s)
