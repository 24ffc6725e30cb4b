# The certauthz command is documented (INTERFACE section 7): every command
# and every option its source accepts has its place in the man page
# docs/certauthz.1 and in `certauthz help`, and the man page is valid roff.
use strict;
use warnings;
use Test::More;

use lib 't/lib';
use CertAuthzCLI;

my $src = join '', map { slurp($_) } glob('cli/*.c');
my $man = slurp('docs/certauthz.1');
(my $man_text = $man) =~ s/\\-/-/g;
my ($rc, $help) = certauthz('help');

my %opts = map { $_ => 1 } $src =~ /\{"(--[\w-]+)", [01]\}/g;
my @commands = ('ca init', qw(issue sign revoke unrevoke list crl inspect check help));
ok(keys %opts >= 18, 'the options are found in cli/*.c (' . scalar(keys %opts) . ')');

for my $c (@commands) {
    like($man, qr/^\.SS "?\Q$c\E\b/m, "man page: a section for $c");
    like($help, qr/^\s+\Q$c\E\b/m, "help: $c");
    like($man_text, qr/^\.B certauthz \Q$c\E$/m, "man page: $c in the synopsis");
}
for my $o (sort keys %opts) {
    like($man_text, qr/^\.(?:B|BI|BR)\s+\Q$o\E\b/m, "man page: option $o described");
    like($help, qr/\Q$o\E\b/, "help: option $o");
}
like($man_text, qr/^\.SH EXIT STATUS/m, 'man page: exit status');
like($man_text, qr/CERTAUTHZ_CA_PASSPHRASE/, 'man page: the passphrase variable');

SKIP: {
    skip 'man not installed', 1 unless -x '/usr/bin/man';
    my $warn = `MANWIDTH=80 man --warnings -l docs/certauthz.1 2>&1 >/dev/null`;
    is($warn, '', 'man page: no groff warnings');
}
done_testing();
