"""telcolens: open operations intelligence for a telecom operator.

One data model (:mod:`telcolens.schema`), one code path on DuckDB or Spark
(:mod:`telcolens.engine`), a synthetic province with ground truth
(:mod:`telcolens.simulate`) and capabilities registered in
:mod:`telcolens.capabilities`.
"""

__version__ = "0.1.0"
