#!/usr/bin/perl
# One harness for everything: the C unit tests (compiled TAP programs, also
# under valgrind when named "memcheck:PROGRAM") and the Apache::Test files
# (t/*.t, against the server t/TEST.PL started).  Ends with TAP::Harness's
# summary and one "N passed, N failed" line; with CERTAUTHZ_COUNTS=FILE it
# appends "PASSED FAILED" to FILE instead, for scripts/run-tests.sh to add
# up several passes into that one line.
use strict;
use warnings;
use TAP::Harness;

# Memcheck fails the program on any invalid access and on definite leaks;
# "still reachable" memory (OpenSSL's and APR's process-wide tables) is not a
# leak of ours.
my @memcheck = qw(valgrind -q --error-exitcode=99 --leak-check=full
                  --errors-for-leak-kinds=definite --show-leak-kinds=definite);

my @tests = map { /^memcheck:(.*)/ ? [$_, $_] : $_ } @ARGV;
my $harness = TAP::Harness->new({
    verbosity => ($ENV{TEST_VERBOSE} ? 1 : 0),
    # CERTAUTHZ_JOBS=N runs N test programs at once (the unit tests: each
    # is on its own; the server tests share one server and run in turn).
    jobs      => ($ENV{CERTAUTHZ_JOBS} || 1),
    lib       => ['t/lib'],
    exec      => sub {
        my ($h, $file) = @_;
        # CERTAUTHZ_MEMCHECK tells a test it runs under valgrind (where
        # sizes can shrink: the point there is memory errors).
        return ['env', 'CERTAUTHZ_MEMCHECK=1', @memcheck, $1]
            if $file =~ /^memcheck:(.*)/;
        return $file =~ /\.t$/ ? undef : [$file];
    },
});
my $agg = $harness->runtests(@tests);
my ($passed, $failed) = (scalar $agg->passed, scalar $agg->failed);
# A test program that died, planned wrongly or exited non-zero (valgrind's
# verdict) without a failed test counts as one failure.
for my $file ($agg->descriptions) {
    my ($parser) = $agg->parsers($file);
    $failed++ if !$parser->failed
        && ($parser->exit || $parser->wait || $parser->parse_errors);
}
if (my $counts = $ENV{CERTAUTHZ_COUNTS}) {
    open my $fh, '>>', $counts or die "$counts: $!";
    print $fh "$passed $failed\n";
    close $fh;
}
else {
    print "\ncertauthz: $passed passed, $failed failed\n";
}
exit($agg->all_passed ? 0 : 1);
