# Regenerates gsva_poisson_*.tsv: R GSVA (Debian r-bioc-gsva 1.46.0, R 4.2.2) with the Poisson
# kernel on the synthetic negative-binomial counts beside this script.
# Run from this folder:  Rscript generate_gsva_poisson_r.R
# The test suite reads the .tsv outputs and never needs R.
suppressPackageStartupMessages(library(GSVA))
X <- as.matrix(read.csv("nb_counts_300x10.csv", row.names = 1, check.names = FALSE))
storage.mode(X) <- "double"
lines <- strsplit(readLines("nb_counts_sets.gmt"), "\t")
gs <- setNames(lapply(lines, function(l) l[-(1:2)]), vapply(lines, `[`, "", 1))
run <- function(name, mx) {
  es <- gsva(X, gs, method = "gsva", kcdf = "Poisson", mx.diff = mx, min.sz = 1, max.sz = Inf,
             verbose = FALSE)
  out <- data.frame(gene_set = rownames(es), es, check.names = FALSE)
  write.table(out, paste0("gsva_poisson_", name, ".tsv"), sep = "\t", quote = FALSE,
              row.names = FALSE)
}
run("mxdiff", TRUE)
run("maxdev", FALSE)
writeLines(capture.output(sessionInfo()), "gsva_poisson_sessionInfo.txt")
