# Lexis-style splitting reference for tests/test_split_time.py.
# Run from this folder: Rscript split_reference.R   (R >= 4.2 with survival)
# Input: harkit_sample.csv (export_synthetic_sample.py). Splits follow-up (entry_age, exit_age]
# on three time scales that advance together: age, calendar year (age + birth_year) and years
# since the first substance-use diagnosis (age - age_first_sud; persons with a diagnosis).
# Each split is survival::survSplit on that scale's own clock, shifted back to age.
suppressPackageStartupMessages(library(survival))
d <- read.csv("harkit_sample.csv")
age_cuts <- c(20, 40, 50, 60, 70, 80)
year_cuts <- c(1950, 1960, 1970, 1980, 1990, 2000, 2010)
tsd_cuts <- c(0, 1, 5, 10)

split_on <- function(x, shift, cuts) {
  # split (tstart, tstop] at cuts on the clock tstart + shift (shift per row)
  x$s0 <- x$tstart + shift(x)
  x$s1 <- x$tstop + shift(x)
  y <- survSplit(Surv(s0, s1, event) ~ ., data = x, cut = cuts, start = "s0", end = "s1",
                 event = "event")
  y$tstart <- y$s0 - shift(y)
  y$tstop <- y$s1 - shift(y)
  y[, setdiff(names(y), c("s0", "s1"))]
}
x <- data.frame(person_id = d$person_id, birth_year = d$birth_year,
                age_first_sud = d$age_first_sud, tstart = d$entry_age, tstop = d$exit_age,
                event = d$event)
x <- split_on(x, function(z) 0, age_cuts)
x <- split_on(x, function(z) z$birth_year, year_cuts)
has <- !is.na(x$age_first_sud)
x <- rbind(split_on(x[has, ], function(z) -z$age_first_sud, tsd_cuts), x[!has, ])
x <- x[order(x$person_id, x$tstart), c("person_id", "tstart", "tstop", "event")]
write.csv(x, "split_survsplit.csv", row.names = FALSE)
