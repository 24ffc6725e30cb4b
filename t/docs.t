# Every directive in the command table and every registered provider has its
# entry in docs/mod_certauthz.md.
use strict;
use warnings;
use Test::More;

sub slurp { local (@ARGV, $/) = @_; <> }
my $src = join '', map { slurp($_) } glob('mod_certauthz*.c');
my $doc = slurp('docs/mod_certauthz.md');

my @directives = $src =~ /AP_INIT_\w+\(\s*"(\w+)"/g;
my @providers = $src =~ /register_provider\(\s*\w+,\s*"([\w-]+)"/g;
ok(@providers >= 6, 'the providers are found in the source (' . scalar(@providers) . ')');

for my $d (@directives) {
    like($doc, qr/^###\s+$d\b/m, "directive $d has a section in docs/");
    like($doc, qr/^###\s+$d\b.*?\*\*Syntax\*\*.*?\*\*Default\*\*.*?\*\*Context\*\*/ms,
         "directive $d has Syntax, Default and Context");
}
for my $p (@providers) {
    like($doc, qr/^###\s+Require\s+$p\b/m, "provider $p has a section in docs/");
}
done_testing();
