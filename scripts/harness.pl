#!/usr/bin/perl
# One harness for everything: the C unit tests (compiled TAP programs) and
# the Apache::Test files (t/*.t, against the server t/TEST.PL started).
# Ends with TAP::Harness's summary and one "N passed, N failed" line.
use strict;
use warnings;
use TAP::Harness;

my @tests = @ARGV;
my $harness = TAP::Harness->new({
    verbosity => ($ENV{TEST_VERBOSE} ? 1 : 0),
    lib       => ['t/lib'],
    exec      => sub {
        my ($h, $file) = @_;
        return $file =~ /\.t$/ ? undef : [$file];
    },
});
my $agg = $harness->runtests(@tests);
my ($passed, $failed) = (scalar $agg->passed, scalar $agg->failed);
# A test file that died or planned wrongly counts as a failure too.
$failed += scalar($agg->parse_errors) + ($agg->exit ? 1 : 0) if $agg->has_problems && !$failed;
print "\ncertauthz: $passed passed, $failed failed\n";
exit($agg->all_passed ? 0 : 1);
