"""The same work as ``embed`` and ``predict``, over many rows, on a Dask cluster (a LocalCluster by default).

``source`` cuts the input into partitions, ``models`` loads the models once per worker (a worker plugin),
``work`` turns one partition into its output table, ``output`` writes the Parquet parts and knows which are
done, ``job`` runs it all and reports progress.
"""
