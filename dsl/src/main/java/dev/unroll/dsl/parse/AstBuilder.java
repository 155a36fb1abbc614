package dev.unroll.dsl.parse;

import dev.unroll.dsl.Diagnostics;
import dev.unroll.dsl.SourcePosition;
import dev.unroll.dsl.ast.Argument;
import dev.unroll.dsl.ast.Identifier;
import dev.unroll.dsl.ast.ModelDecl;
import dev.unroll.dsl.ast.QualifiedName;
import dev.unroll.dsl.ast.SpecFile;
import dev.unroll.dsl.ast.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ErrorNode;
import org.antlr.v4.runtime.tree.ParseTree;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Builds the immutable syntax tree from ANTLR's parse tree. Anything ANTLR had to repair (a
 * conjured token, a skipped token) was already reported, so the parts it touched are left out
 * rather than guessed at; the validator then only sees what the user really wrote.
 */
final class AstBuilder {
    private final CommonTokenStream tokens;
    private final SyntaxErrorStrategy errors;
    private final Diagnostics diagnostics;
    private final Predicate<String> isStatementKeyword;

    AstBuilder(CommonTokenStream tokens, SyntaxErrorStrategy errors, Diagnostics diagnostics,
            Predicate<String> isStatementKeyword) {
        this.tokens = tokens;
        this.errors = errors;
        this.diagnostics = diagnostics;
        this.isStatementKeyword = isStatementKeyword;
    }

    SpecFile build(RnnParser.SpecFileContext file) {
        Optional<QualifiedName> packageName = Optional.empty();
        RnnParser.PackageDeclContext pkg = file.packageDecl();
        if (pkg != null && isIntact(pkg) && pkg.qualifiedName() != null && isIntact(pkg.qualifiedName())) {
            packageName = Optional.of(qualifiedName(pkg.qualifiedName()));
        }
        List<ModelDecl> models = new ArrayList<>();
        List<RnnParser.ModelDeclContext> declared = file.modelDecl();
        for (RnnParser.ModelDeclContext model : declared) {
            if (isReal(model.MODEL() == null ? null : model.MODEL().getSymbol()) && isReal(model.name)) {
                models.add(model(model, model == declared.get(declared.size() - 1)));
            }
        }
        return new SpecFile(SourcePosition.START, packageName, models);
    }

    private QualifiedName qualifiedName(RnnParser.QualifiedNameContext ctx) {
        List<Identifier> parts = new ArrayList<>();
        for (TerminalNode part : ctx.IDENT()) {
            parts.add(identifier(part.getSymbol()));
        }
        return new QualifiedName(parts.get(0).position(), parts);
    }

    private ModelDecl model(RnnParser.ModelDeclContext ctx, boolean last) {
        List<Statement> statements = new ArrayList<>();
        // Complete unless the parser had to set aside something the user wrote in the body. A
        // missing ';' loses nothing, nor does a missing '}' before the next model; but a model
        // still open at the end of the file was probably cut short.
        boolean closed = ctx.RBRACE() != null && isReal(ctx.RBRACE().getSymbol());
        boolean complete = ctx.LBRACE() != null && isReal(ctx.LBRACE().getSymbol()) && (closed || !last);
        for (ParseTree child : ctx.children == null ? List.<ParseTree>of() : ctx.children) {
            if (child instanceof ErrorNode error && isReal(error.getSymbol())) {
                complete = false;
            }
        }
        for (RnnParser.StatementContext statement : ctx.statement()) {
            if (isReal(statement.keyword) && (isIntact(statement) || onlyMissesSemicolon(statement))) {
                splitAtMissingSemicolons(statement, statements);
            } else {
                complete = false;
            }
        }
        Token modelToken = ctx.MODEL().getSymbol();
        return new ModelDecl(Tokens.startOf(modelToken), identifier(ctx.name), docComment(modelToken), statements,
                complete);
    }

    /** True for a statement whose only flaw is its missing ';', which was reported already. */
    private boolean onlyMissesSemicolon(RnnParser.StatementContext statement) {
        if (!errors.onlyMissesSemicolon(statement)) {
            return false;
        }
        for (ParseTree child : statement.children) {
            if (child instanceof ErrorNode error && isReal(error.getSymbol())) {
                return false;
            }
            if (child instanceof ParserRuleContext rule && !isIntact(rule)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A statement whose ';' was forgotten swallows the next one: {@code lstm 128 \n output 65;}
     * (or {@code input 4 lstm 8;} on one line) parses as one statement. No statement takes a
     * statement keyword as an argument, so where one appears among the arguments, report the
     * missing ';' and carry on with two statements, as the user meant.
     */
    private void splitAtMissingSemicolons(RnnParser.StatementContext ctx, List<Statement> out) {
        Token keyword = ctx.keyword;
        Token previous = keyword;
        List<Argument> arguments = new ArrayList<>();
        for (RnnParser.ArgumentContext argCtx : ctx.argument()) {
            Token token = argCtx.getStart();
            if (token.getType() == RnnLexer.IDENT && isStatementKeyword.test(token.getText())) {
                diagnostics.error(Tokens.endOf(previous), "expected ';' after " + Tokens.describe(previous));
                out.add(new Statement(Tokens.startOf(keyword), identifier(keyword), arguments));
                keyword = token;
                arguments = new ArrayList<>();
            } else {
                arguments.add(argument(argCtx, token));
            }
            previous = token;
        }
        out.add(new Statement(Tokens.startOf(keyword), identifier(keyword), arguments));
    }

    private static Argument argument(RnnParser.ArgumentContext ctx, Token token) {
        SourcePosition position = Tokens.startOf(token);
        if (ctx instanceof RnnParser.NumberArgumentContext) {
            return new Argument.NumberLiteral(position, token.getText());
        }
        if (ctx instanceof RnnParser.StringArgumentContext) {
            return new Argument.StringLiteral(position, token.getText(), unquote(token.getText()));
        }
        return new Argument.Word(position, token.getText());
    }

    private static String unquote(String quoted) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < quoted.length() - 1; i++) {
            char c = quoted.charAt(i);
            if (c == '\\' && i + 1 < quoted.length() - 1) {
                char next = quoted.charAt(++i);
                sb.append(switch (next) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> next;
                });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The doc comment is the last {@code /** ... *}{@code /} between the previous token and {@code model}. */
    private Optional<String> docComment(Token modelToken) {
        List<Token> hidden = tokens.getHiddenTokensToLeft(modelToken.getTokenIndex(), RnnLexer.DOC_CHANNEL);
        if (hidden == null || hidden.isEmpty()) {
            return Optional.empty();
        }
        String text = DocComments.strip(hidden.get(hidden.size() - 1).getText());
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    private static Identifier identifier(Token token) {
        return new Identifier(Tokens.startOf(token), token.getText());
    }

    /** True for tokens the user wrote, false for the ones ANTLR conjured during recovery. */
    private static boolean isReal(Token token) {
        return token != null && token.getTokenIndex() >= 0 && token.getType() != Token.EOF;
    }

    /** True when ANTLR needed no repair anywhere inside this subtree. */
    private static boolean isIntact(ParserRuleContext ctx) {
        if (ctx.exception != null) {
            return false;
        }
        for (int i = 0; i < ctx.getChildCount(); i++) {
            ParseTree child = ctx.getChild(i);
            if (child instanceof ErrorNode) {
                return false;
            }
            if (child instanceof TerminalNode terminal && !isReal(terminal.getSymbol())
                    && terminal.getSymbol().getType() != Token.EOF) {
                return false;
            }
            if (child instanceof ParserRuleContext rule && !isIntact(rule)) {
                return false;
            }
        }
        return true;
    }
}
