package CertAuthzCLI;
# Running the certauthz command from the tests: its exit status, standard
# output and standard error, always in a session of its own (no terminal:
# a passphrase is never prompted for, so nothing can hang).
use strict;
use warnings;

use Exporter 'import';
use Cwd qw(abs_path);
use File::Temp qw(tempfile);
use POSIX ();

our @EXPORT = qw(certauthz certauthz_bin slurp file_mode tree_state);

# CERTAUTHZ_BIN: another build of the command (the sanitizer build in the
# second pass of make test).
sub certauthz_bin {
    my $bin = abs_path($ENV{CERTAUTHZ_BIN} || 'build/certauthz');
    -x $bin or die "$bin missing: make first\n";
    return $bin;
}

# certauthz(ARGS..., {env => {...}}) -> ($status, $stdout, $stderr)
sub certauthz {
    my %o = ref $_[-1] eq 'HASH' ? %{ pop @_ } : ();
    my @cmd = ($o{bin} ? @{ $o{bin} } : certauthz_bin(), @_);
    my ($ofh, $ofile) = tempfile(UNLINK => 1);
    my ($efh, $efile) = tempfile(UNLINK => 1);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $ofh;
        open STDERR, '>&', $efh;
        %ENV = (%ENV, %{ $o{env} || {} });
        # A sanitizer build: any error or leak fails the command loudly.
        $ENV{ASAN_OPTIONS} = 'detect_leaks=1:exitcode=86'
            if $cmd[0] =~ m{/asan/};
        $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1:halt_on_error=1'
            if $cmd[0] =~ m{/asan/};
        delete $ENV{CERTAUTHZ_CA_PASSPHRASE}
            unless $o{env} && exists $o{env}{CERTAUTHZ_CA_PASSPHRASE};
        exec @cmd or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $status = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    return ($status, slurp($ofile), slurp($efile));
}

sub slurp {
    open my $fh, '<:raw', $_[0] or return undef;
    local $/;
    my $t = <$fh>;
    return defined $t ? $t : '';
}

sub file_mode { my @s = stat $_[0]; @s ? sprintf('%04o', $s[2] & 07777) : 'none' }

# Names, sizes, inodes and contents of every file under DIR: equal states
# mean nothing was changed, added or removed.
sub tree_state {
    my $dir = shift;
    my @out;
    my @todo = ($dir);
    while (my $d = shift @todo) {
        opendir my $dh, $d or next;
        for my $e (sort grep { !/^\.\.?$/ } readdir $dh) {
            my $f = "$d/$e";
            if (-d $f) { push @todo, $f; push @out, "$f/"; next }
            my @s = stat $f;
            push @out, join ' ', $f, $s[1], $s[2], $s[7], slurp($f) // '';
        }
    }
    return join "\n", @out;
}

1;
